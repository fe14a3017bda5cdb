"""One synthesis per test session (jsii is slow), into a temporary cloud assembly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnElement, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra import topology
from infra.cdk.app import VictimSupportApp, build, synthesize

ResourceId = tuple[str, str]  # (kind, topology name); DLQs are ("queue", "<name>_dlq")


@dataclass(frozen=True)
class Synthesized:
    built: VictimSupportApp
    outdir: Path
    findings: list[str]
    data: Template
    auth: Template
    service: Template
    # Data-stack logical id of each topology resource, and the export names that point at them.
    logical_ids: dict[ResourceId, str]
    exports: dict[str, ResourceId]

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))

    def referenced(self, value: Any) -> set[ResourceId]:
        """Topology resources a template fragment refers to across the stack boundary."""
        found: set[ResourceId] = set()
        for name in _import_names(value):
            found.add(self.exports[name])
        return found


def _import_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            yield value["Fn::ImportValue"]
        for v in value.values():
            yield from _import_names(v)
    elif isinstance(value, list):
        for v in value:
            yield from _import_names(v)


def _logical_id(construct: IConstruct) -> str:
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnElement)
    return str(Stack.of(construct).resolve(Stack.of(construct).get_logical_id(cfn)))


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    built = build(outdir)
    findings = synthesize(built)
    data = built.data
    logical_ids: dict[ResourceId, str] = {}
    for name, table in data.tables.items():
        logical_ids["table", name] = _logical_id(table)
    for name, queue in data.queues.items():
        logical_ids["queue", name] = _logical_id(queue.queue)
        logical_ids["queue", topology.TOPOLOGY.queue(name).dead_letter] = _logical_id(queue.dead_letter)
    for name, bucket in data.buckets.items():
        logical_ids["bucket", name] = _logical_id(bucket.bucket)
    for name, key in data.keys.items():
        logical_ids["key", name] = _logical_id(key)
    by_logical_id = {v: k for k, v in logical_ids.items()}

    data_json = json.loads((outdir / f"{data.stack_name}.template.json").read_text())
    exports: dict[str, ResourceId] = {}
    for output in data_json.get("Outputs", {}).values():
        value = output["Value"]
        target = value["Fn::GetAtt"][0] if "Fn::GetAtt" in value else value.get("Ref")
        if target in by_logical_id:
            exports[output["Export"]["Name"]] = by_logical_id[target]
    return Synthesized(
        built=built, outdir=outdir, findings=findings,
        data=Template.from_stack(built.data), auth=Template.from_stack(built.auth),
        service=Template.from_stack(built.service), logical_ids=logical_ids, exports=exports,
    )
