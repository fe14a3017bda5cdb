"""``victim-support fees estimate``: the fee estimate of one municipality as a table or JSON.

Invalid input prints the stable error code and its message on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import NoReturn

from victim_support.errors import DomainError
from victim_support.fees import estimate, municipality_class_of, parse_request, render_estimate
from victim_support.fees.kiosk import MunicipalityClass

INVALID_INPUT_STATUS = 2


def _fail(error: DomainError) -> int:
    message = f"{error.code}: {error.spec.ja} / {error.spec.en}"
    print(f"{message}: {error.detail}" if error.detail else message, file=sys.stderr)
    return INVALID_INPUT_STATUS


class _FeesParser(argparse.ArgumentParser):
    """Argument errors carry the stable code like every other invalid input."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        _fail(DomainError("FEES_INPUT_INVALID", detail=message))
        raise SystemExit(INVALID_INPUT_STATUS)


def _municipality_class(args: argparse.Namespace) -> MunicipalityClass | None:
    if args.municipality_class is not None:
        return MunicipalityClass(args.municipality_class)
    if args.municipality is None:
        return None
    from victim_support.rules.municipal_codes import lookup  # opens the local postal data on first use

    info = lookup(args.municipality)
    if not info.is_municipality:
        raise DomainError("FEES_INPUT_INVALID",
                          detail=f"{args.municipality} ({info.name}) is not a municipality (市区町村)")
    return municipality_class_of(info.kind)


def cmd_fees_estimate(args: argparse.Namespace) -> int:
    try:
        request = parse_request({
            "population": args.population,
            "pattern": args.pattern,
            "start_month": args.start,
            "fiscal_year": args.fiscal_year,
            "prefecture_share": args.prefecture_share,
            "measure_first_year": args.measure_first_year,
            "kiosk": args.kiosk,
            "already_kiosk": args.already_kiosk,
            "municipality_class": _municipality_class(args),
            "issuance_server": args.issuance_server,
            "certificate_fee_yen": 0 if args.certificate_free else args.certificate_fee,
            "copies": args.copies,
            "test_copies": args.test_copies,
        })
    except DomainError as error:
        return _fail(error)
    result = estimate(request)
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(render_estimate(result), end="")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``fees`` command group to the CLI's sub-commands."""
    fees = sub.add_parser("fees", help="fee engine (費用)")
    fees_sub = fees.add_subparsers(dest="fees_command", required=True, parser_class=_FeesParser)
    est = fees_sub.add_parser("estimate", help="estimate one municipality's costs per fiscal year",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    est.add_argument("--population", type=int, required=True, help="住民基本台帳人口")
    est.add_argument("--pattern", choices=("A", "B"), required=True, help="導入パターン")
    est.add_argument("--start", required=True, metavar="YYYY-MM", help="利用開始月")
    est.add_argument("--fiscal-year", type=int, metavar="YYYY",
                     help="one fiscal year (default: the start's and the two following)")
    est.add_argument("--prefecture-share", type=float, metavar="0.0-1.0",
                     help="share of the prefecture's municipalities using the system, as confirmed by J-LIS")
    est.add_argument("--measure-first-year", type=int, metavar="YYYY",
                     help="fiscal year of the prefecture's first special measure")
    est.add_argument("--kiosk", action="store_true", help="issue 罹災証明書・被災証明書 at kiosks (コンビニ交付)")
    est.add_argument("--already-kiosk", action="store_true",
                     help="already doing kiosk issuance (コンビニ交付導入団体): contribution already paid")
    est.add_argument("--municipality", metavar="CODE",
                     help="全国地方公共団体コード; sets the municipality class unless given")
    est.add_argument("--municipality-class", choices=[c.value for c in MunicipalityClass])
    est.add_argument("--issuance-server", choices=("bcl", "own"), default="bcl", help="certificate issuance server")
    fee = est.add_mutually_exclusive_group()
    fee.add_argument("--certificate-free", action="store_true", help="the certificate is issued free (default)")
    fee.add_argument("--certificate-fee", type=int, default=0, metavar="YEN", help="the certificate's fee")
    est.add_argument("--copies", type=int, default=0, help="kiosk copies per fiscal year")
    est.add_argument("--test-copies", type=int, default=0, help="real-store test copies (one-off)")
    est.add_argument("--json", action="store_true", help="JSON instead of the table")
    est.set_defaults(func=cmd_fees_estimate)
