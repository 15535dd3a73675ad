/* prodd's version and the version of its HTTP API (see SPEC §5). */
#ifndef PRODD_VERSION_H
#define PRODD_VERSION_H

#define PRODD_VERSION "0.1.0"
#define PRODD_API_VERSION 1

#endif
