#!/bin/sh
# Writes a services.yaml with N services to stdout: each has a command, a
# port, an environment, a health check and up to three dependencies on
# earlier services, so the graph has many waves and edges.
#   sh bench/gen-services.sh 1000 > /tmp/s.yaml
n=${1:-1000}
awk -v n="$n" 'BEGIN {
	print "version: 1"
	print "daemon:\n  listen: 127.0.0.1:8003\n  rate_limit: 0"
	print "services:"
	for (i = 0; i < n; i++) {
		printf "  - name: svc-%04d\n", i
		printf "    command: prodd-demo --role search --port %d --latency-ms 1\n", 20000 + i
		printf "    port: %d\n", 20000 + i
		printf "    health_check:\n      url: http://127.0.0.1:%d/api/health\n      interval: 5s\n", 20000 + i
		printf "    environment:\n      ENVIRONMENT: bench\n      WORKER_ID: \"%d\"\n", i
		printf "    restart_delay: 0\n    stop_timeout: 5s\n"
		if (i > 0) {
			a = int(i / 2); b = i - 3; c = int(i / 10)
			printf "    dependencies: [svc-%04d", a
			if (i > 2 && b != a) printf ", svc-%04d", b
			if (i > 10 && c != a && c != b) printf ", svc-%04d", c
			print "]"
		}
	}
}'
