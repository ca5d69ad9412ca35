#!/usr/bin/env python3
"""Runs a command the way systemd runs a Type=notify unit with WatchdogSec=, for the package test.

Binds a notification socket, starts the command in a clean environment (PATH, the --env pairs,
NOTIFY_SOCKET and WATCHDOG_USEC), and
  - writes READY_FILE when READY=1 arrives (fails if it does not within --start-timeout),
  - fails if a running service goes longer than --watchdog without WATCHDOG=1,
  - on SIGTERM, forwards it and expects STOPPING=1 then a clean exit within --stop-timeout.
Every notification is printed with its time. Exits with the service's status, or 1 on a breach.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--start-timeout", type=float, required=True)
    parser.add_argument("--stop-timeout", type=float, required=True)
    parser.add_argument("--watchdog", type=float, required=True)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    directory = tempfile.mkdtemp(prefix="sn-notify-")
    path = os.path.join(directory, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    # The service runs as its own user: it must be able to write to the socket.
    os.chmod(directory, 0o755)
    os.chmod(path, 0o777)
    sock.settimeout(0.2)

    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"}
    env.update(pair.split("=", 1) for pair in args.env)
    env.update(NOTIFY_SOCKET=path, WATCHDOG_USEC=str(int(args.watchdog * 1e6)))
    child = subprocess.Popen(command, env=env)
    started = time.monotonic()
    ready = stopping = False
    last_ping = started
    stop_requested = None

    def on_term(_signum, _frame):
        nonlocal stop_requested
        stop_requested = time.monotonic()
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)

    def breach(message: str) -> int:
        print(f"supervise: {message}", file=sys.stderr, flush=True)
        child.kill()
        child.wait()
        return 1

    while True:
        try:
            data = sock.recv(4096).decode()
            now = time.monotonic()
            for line in data.splitlines():
                if line != "WATCHDOG=1":
                    print(f"supervise: +{now - started:.2f}s {line}", flush=True)
            if "WATCHDOG=1" in data.splitlines():
                last_ping = now
            if "READY=1" in data.splitlines() and not ready:
                ready = True
                with open(args.ready_file, "w") as f:
                    f.write(f"{now - started:.2f}\n")
            if "STOPPING=1" in data.splitlines():
                stopping = True
        except socket.timeout:
            pass
        now = time.monotonic()
        status = child.poll()
        if status is not None:
            if stop_requested is None:
                print(f"supervise: the service exited on its own with {status}", file=sys.stderr)
                return status or 1
            if not stopping:
                print("supervise: the service stopped without STOPPING=1", file=sys.stderr)
                return 1
            print(f"supervise: stopped in {now - stop_requested:.2f}s with status {status}")
            return status
        if not ready and now - started > args.start_timeout:
            return breach(f"no READY=1 within {args.start_timeout}s")
        if stop_requested is None and now - last_ping > args.watchdog:
            return breach(f"no WATCHDOG=1 for {now - last_ping:.1f}s (WatchdogSec={args.watchdog})")
        if stop_requested is not None and now - stop_requested > args.stop_timeout:
            return breach(f"not stopped {args.stop_timeout}s after SIGTERM")


if __name__ == "__main__":
    sys.exit(main())
