/*
 * The dashboard's files over HTTP (ROUTE_STATIC: every GET outside the
 * API's prefixes). The path is normalised by core/webpath (a "..", "."
 * or control byte is a 400), looked up in the site read by daemon/static
 * (a miss is the API's 404 JSON), and answered from memory: the gzip copy
 * when there is one and Accept-Encoding allows it, a 304 with no body
 * when If-None-Match names the ETag of what would be sent. No site (the
 * default directory missing) is a 503 that says what was tried.
 */
#include "prodd/api.h"
#include "prodd/static.h"
#include "prodd/webpath.h"

#include <stdio.h>

void
api_static(struct api *api, struct srv_req *req)
{
	struct static_site *site = api->site;
	const struct static_file *f;
	struct srv_file hdr;
	char rel[1024];
	bool gzip;

	if (site == NULL || site->dir == NULL) {
		server_respond_error(req, 503, "no_dashboard", "%s",
		    site != NULL && site->why != NULL ? site->why :
		    "no dashboard is loaded");
		return;
	}
	if (!webpath_normalize(req->path, rel, sizeof rel)) {
		server_respond_error(req, 400, "bad_request", "bad path: %s",
		    req->path);
		return;
	}
	if ((f = static_site_find(site, rel)) == NULL && site->dir == NULL) {
		/* its first read failed: said as when there is none */
		server_respond_error(req, 503, "no_dashboard", "%s", site->why);
		return;
	}
	if (f == NULL) {
		server_respond_error(req, 404, "not_found", "no such file: %s",
		    req->path);
		return;
	}
	gzip = f->gz != NULL && webpath_accepts_gzip(req->accept_encoding);
	hdr.content_type = f->type;
	hdr.etag = gzip ? f->gz_etag : f->etag;
	hdr.gzip = gzip;
	hdr.vary = f->gz != NULL;
	if (webpath_etag_match(req->if_none_match, hdr.etag))
		server_respond_file(req, 304, &hdr, NULL, 0);
	else if (gzip)
		server_respond_file(req, 200, &hdr, f->gz, f->gz_len);
	else
		server_respond_file(req, 200, &hdr, f->data, f->len);
}
