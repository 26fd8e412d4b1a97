"""Log in to an AMQP broker with python3-amqp and report what happened.

Reads JSON from stdin: {"host", "user", "password", "vhost"}.
Prints one JSON line: {"result": "ok" | "refused" | "not_allowed" | "error", ...}:
refused is 403 ACCESS_REFUSED (authentication), not_allowed 530 NOT_ALLOWED
(authenticated, but no access to the vhost). On "ok"
it also declared a queue, published a message and read it back.
"""
import json
import sys

import amqp

params = json.load(sys.stdin)
conn = amqp.Connection(host=params["host"], userid=params["user"], password=params["password"],
                       virtual_host=params["vhost"], connect_timeout=15)
try:
    conn.connect()
except amqp.exceptions.AccessRefused as exc:
    print(json.dumps({"result": "refused", "error": str(exc)}))
    sys.exit(0)
except amqp.exceptions.NotAllowed as exc:
    print(json.dumps({"result": "not_allowed", "error": str(exc)}))
    sys.exit(0)
except Exception as exc:  # a network error is not a refusal: report it apart
    print(json.dumps({"result": "error", "error": "%s: %s" % (type(exc).__name__, exc)}))
    sys.exit(0)

channel = conn.channel()
queue = "stackcraft-verify-%s" % params["user"]
channel.queue_declare(queue, auto_delete=False, durable=False)
channel.basic_publish(amqp.Message("ping from the client"), routing_key=queue)
message = None
for _ in range(50):
    message = channel.basic_get(queue, no_ack=True)
    if message is not None:
        break
channel.queue_delete(queue)
body = message.body if message is not None else None
if isinstance(body, bytes):
    body = body.decode("utf-8")
print(json.dumps({"result": "ok", "server": conn.server_properties.get("product"),
                  "version": conn.server_properties.get("version"),
                  "body": body}))
conn.close()
