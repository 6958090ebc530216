"""A naive IPAM plugin: the benchmark's baseline of a server that does real work plainly.

Python's threaded HTTP server on a Unix socket (HTTP/1.1 keep-alive, one thread per
connection), the pools' addresses in a dict under one lock, and every change appended to a
journal file and flushed (not fsync'd) before the answer. Answers Plugin.Activate,
IpamDriver.RequestPool, RequestAddress and ReleaseAddress only; IPv4 pools only.

usage: python3 naive_plugin.py SOCKET JOURNAL
"""
import ipaddress
import json
import os
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler

lock = threading.Lock()
pools = {}  # pool id -> (network, set of used host numbers, next host number)
journal = open(sys.argv[2], "a")


def change(line):
    journal.write(line + "\n")
    journal.flush()


def request_pool(body):
    network = ipaddress.ip_network(body.get("Pool") or "10.0.0.0/8")
    pool_id = "LocalDefault/" + str(network)
    with lock:
        if pool_id in pools:
            raise ValueError("pool overlaps")
        pools[pool_id] = [network, set(), 1]
        change("pool " + pool_id)
    return {"PoolID": pool_id, "Pool": str(network), "Data": {}}


def request_address(body):
    with lock:
        pool = pools[body["PoolID"]]
        network, used, cursor = pool
        size = network.num_addresses
        for step in range(size):
            candidate = 1 + (cursor - 1 + step) % (size - 2)
            if candidate not in used:
                break
        else:
            raise ValueError("pool full")
        used.add(candidate)
        pool[2] = candidate + 1
        address = network.network_address + candidate
        change("allocate %s %s" % (body["PoolID"], address))
    return {"Address": "%s/%d" % (address, network.prefixlen), "Data": {}}


def release_address(body):
    with lock:
        network, used, _ = pools[body["PoolID"]]
        used.discard(int(ipaddress.ip_address(body["Address"])) - int(network.network_address))
        change("release %s %s" % (body["PoolID"], body["Address"]))
    return {}


routes = {
    "/Plugin.Activate": lambda body: {"Implements": ["IpamDriver"]},
    "/IpamDriver.RequestPool": request_pool,
    "/IpamDriver.RequestAddress": request_address,
    "/IpamDriver.ReleaseAddress": release_address,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            answer, status = routes[self.path](json.loads(raw) if raw else {}), 200
        except Exception as error:  # noqa: BLE001 - a baseline answers every failure the same way
            answer, status = {"Err": str(error)}, 500
        data = json.dumps(answer, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

    def address_string(self):
        return "unix"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sys.argv[1]):
    os.unlink(sys.argv[1])
Server(sys.argv[1], Handler).serve_forever()
