# py (docs/spine.md): Debian's python3-minimal, dynamically linked, in a
# verity persona built by image/spine/mkdebpersona.sh. It serves on its own
# loopback (network none), queries itself once, prints what it got and
# which shared objects it runs on, then keeps serving.
import os
import socket
import sys
import threading

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(4)
port = srv.getsockname()[1]


def answer(c):
    with c:
        c.sendall(b"pong " + c.recv(64))


def serve():
    while True:
        c, _ = srv.accept()
        answer(c)


threading.Thread(target=serve, daemon=True).start()
with socket.create_connection(("127.0.0.1", port), timeout=10) as cl:
    cl.sendall(b"ping")
    reply = cl.recv(64).decode()
libs = sorted({l.split()[-1].rsplit("/", 1)[-1] for l in open("/proc/self/maps") if ".so" in l})
status = dict(l.split(":\t", 1) for l in open("/proc/self/status") if ":\t" in l)
print(f"py: python {sys.version.split()[0]} ({sys.executable}) on {' '.join(libs)};"
      f" uid {os.getuid()}, NoNewPrivs {status['NoNewPrivs'].strip()}, Seccomp {status['Seccomp'].strip()}",
      flush=True)
print(f"py: served 127.0.0.1:{port} and read back '{reply}'; serving", flush=True)
threading.Event().wait()
