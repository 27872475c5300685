"""``python -m sandbox.netsuite --port 8702 [--demo]``: run the sandbox account until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from .server import DEFAULT_CREDENTIALS, NetSuiteSandbox


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.netsuite", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="seed demo items and customers")
    parser.add_argument("--limit", type=int, default=5, help="account concurrency limit")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--latency-per-record", type=float, default=0.0)
    parser.add_argument("--state", help="JSON file that keeps the records across restarts")
    parser.add_argument("--contracts-dir", default=os.environ.get("CONTRACTS_DIR"))
    for key, value in DEFAULT_CREDENTIALS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", default=value)
    args = parser.parse_args(argv)

    sandbox = NetSuiteSandbox(
        args.host,
        args.port,
        account_id=args.account_id,
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        token_id=args.token_id,
        token_secret=args.token_secret,
        limit=args.limit,
        latency=args.latency,
        latency_per_record=args.latency_per_record,
        contracts_dir=args.contracts_dir,
        state_path=args.state,
    )
    if args.demo:
        from .demo import seed

        seed(sandbox)
    sandbox.start()
    print(f"NetSuite sandbox account {args.account_id} at {sandbox.service_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
