"""``victim-support onboarding``: the onboarding schedule (導入スケジュール) on the command line.

  onboarding plan --pattern A|B --start YYYY-MM [--no-kiosk] [--json]
      the seed's schedule laid onto the calendar back from the start month, with the BOS account,
      application forms and contract deadlines. Pure: no AWS, no local stack.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

_MONTHS_BEFORE_LABEL = "利用開始月"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``onboarding`` command group to the CLI's subparsers."""
    group = sub.add_parser("onboarding", help="onboarding schedule (導入までの流れ)",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = group.add_subparsers(dest="onboarding_command", required=True)
    plan = commands.add_parser("plan", help="print the onboarding plan for a start month")
    plan.add_argument("--pattern", choices=("A", "B"), required=True, help="導入パターン")
    plan.add_argument("--start", required=True, metavar="YYYY-MM", help="利用開始月")
    plan.add_argument("--no-kiosk", dest="kiosk", action="store_false",
                      help="罹災証明書等のコンビニ交付を利用しない (omit the kiosk-only steps)")
    plan.add_argument("--existing-kiosk", action="store_true",
                      help="コンビニ交付を既に導入している (BOS account procedure)")
    plan.add_argument("--allow-compressed", action="store_true",
                      help="accept a start month fewer months ahead than the schedule needs")
    plan.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
                      help="plan as of this day (default: today in JST)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(func=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    from victim_support.errors import DomainError
    from victim_support.onboarding.schedule import build_plan

    try:
        plan = build_plan(args.pattern, args.start, args.kiosk, today=args.today, existing_kiosk=args.existing_kiosk,
                          allow_compressed=args.allow_compressed)
    except DomainError as error:
        print(f"{error.code}: {error.spec.ja} ({error.detail or error.spec.en})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(plan.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(render_plan(plan.model_dump(mode="json")))
    return 0


def render_plan(plan: dict[str, Any]) -> str:
    """The plan as a table a person reads (East Asian wide characters count as two columns)."""
    kiosk = "コンビニ交付あり" if plan["kiosk"] else "コンビニ交付なし"
    lines = [f"導入スケジュール パターン{plan['pattern']} 利用開始月 {plan['start_month']} ({kiosk}, "
             f"as of {plan['as_of']})"]
    if plan["compressed"]:
        lines.append(f"COMPRESSED: {plan['months_ahead']} month(s) ahead, the schedule needs {plan['lead_months']}; "
                     "steps marked * are moved into the current month")
    header = ("No", "month", "months before", "owner", "title", "activities", "status")
    rows = [
        (str(s["no"]), s["month"] + ("*" if s["compressed"] else ""),
         f"{s['months_before']}カ月前" if s["months_before"] else _MONTHS_BEFORE_LABEL, s["owner"], s["title_ja"],
         " / ".join(s["activities"]), s["status"] + (" (overdue)" if s["overdue"] else ""))
        for s in plan["steps"]
    ]
    lines += ["", *_table(header, rows)]
    if plan["omitted_steps"]:
        omitted = ", ".join(f"No {o['no']} {o['title_ja']}" for o in plan["omitted_steps"])
        lines += ["", f"省略: {omitted} ({plan['omitted_steps'][0]['reason']})"]
    lines += ["", "Milestones and contract deadlines (契約締結等):"]
    milestone_rows = [
        (m["due"] + ("*" if m["compressed"] else ""), m["owner"], m["title_ja"], m["status"], m["description_ja"])
        for m in plan["milestones"]
    ]
    lines += _table(("due", "owner", "title", "status", "details"), milestone_rows)
    lines += ["", f"運用開始: {plan['use_start_rule_ja']}"]
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(c) for c in row] for row in (header, *rows)]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
