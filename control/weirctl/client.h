/* weirctl's side of weir-control's control socket (JSON lines, see
 * control/daemon/ctlproto.h). */
#ifndef WEIRCTL_CLIENT_H
#define WEIRCTL_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>

/* $WEIR_CONTROL_SOCKET, else /run/weir/control.sock. */
const char *weirctl_default_socket(void);

/* Send req (not consumed) and read one reply line.
 *  0  reply ok:true, *reply set (caller puts it);
 *  1  reply ok:false, message in err;
 * -1  no daemon / transport error, one clear line in err. */
int weirctl_call(const char *sock, json_object *req, json_object **reply,
		 int timeout_ms, char *err, size_t errlen);

#endif
