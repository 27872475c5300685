"""python -m sandbox.shopify --port 8701 [--demo] [--state var/shopify.json]"""

from __future__ import annotations

import argparse
import logging

from sandbox.shopify.server import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_SHOP_DOMAIN,
    DEFAULT_WEBHOOK_SECRET,
    ShopifySandbox,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.shopify", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8701, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="seed the demo shop's orders")
    parser.add_argument("--state", help="JSON file that keeps the store between restarts")
    parser.add_argument("--contracts-dir", help="defaults to $CONTRACTS_DIR or ../shared/contracts")
    parser.add_argument("--shop-domain", default=DEFAULT_SHOP_DOMAIN)
    parser.add_argument("--access-token", default=DEFAULT_ACCESS_TOKEN)
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
    parser.add_argument("--maximum-available", type=float, default=1000)
    parser.add_argument("--restore-rate", type=float, default=100)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument(
        "--bulk-rows-per-second",
        type=float,
        default=200.0,
        help="pace of bulk mutation operations (0: run each inline when it is created)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    sandbox = ShopifySandbox(
        args.host,
        args.port,
        shop_domain=args.shop_domain,
        access_token=args.access_token,
        webhook_secret=args.webhook_secret,
        contracts_dir=args.contracts_dir,
        state_path=args.state,
        demo=args.demo,
        maximum_available=args.maximum_available,
        restore_rate=args.restore_rate,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        throttle_rate=args.throttle_rate,
        bulk_rows_per_second=args.bulk_rows_per_second,
    )
    sandbox.start()
    print(f"Shopify sandbox on {sandbox.url} (shop {args.shop_domain})", flush=True)
    sandbox.serve_forever()


if __name__ == "__main__":
    main()
