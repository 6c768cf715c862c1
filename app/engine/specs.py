"""Process specifications, parsed from bpmn/ once per directory and cached.

Each process gets a content hash (its BPMN file and the DMN tables it may call); an instance records
the hash it started on and keeps running on that version (its spec is stored per hash: process_specs).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from app.engine.timers import use_clock


@dataclass(frozen=True)
class ProcessVersion:
    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    spec_hash: str
    filename: str


def spec_hash(bpmn: bytes, dmn: dict[str, str]) -> str:
    """A diagram's version: the hash of its BPMN and of the decision tables it may call."""
    digest = hashlib.sha256()
    for name in sorted(dmn):
        digest.update(dmn[name].encode())
    return hashlib.sha256(bpmn + digest.digest()).hexdigest()


def parse(bpmn: bytes, filename: str, dmn: dict[str, str]) -> list[ProcessVersion]:
    """Every executable process of a diagram (bytes: lxml refuses a str with an XML declaration), with the
    decision tables `dmn` (name -> XML); SpiffWorkflow's own exceptions when it does not parse."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_io(io.BytesIO(bpmn), filename)
    for name, xml in sorted(dmn.items()):
        parser.add_dmn_io(io.BytesIO(xml.encode()), name)
    digest = spec_hash(bpmn, dmn)
    versions = []
    for process_id in parser.get_process_ids():
        process_parser = parser.get_process_parser(process_id)
        if not process_parser.process_executable:
            continue
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        for s in [spec, *subprocess_specs.values()]:
            for task_spec in s.task_specs.values():
                if getattr(task_spec, "event_definition", None) is not None:
                    use_clock(task_spec.event_definition)
        versions.append(ProcessVersion(process_id=process_id, name=process_parser.get_name(), spec=spec,
                                       subprocess_specs=subprocess_specs, spec_hash=digest, filename=filename))
    return versions


class SpecLibrary:
    def __init__(self, bpmn_dir: Path):
        self.bpmn_dir = Path(bpmn_dir)
        self.processes: dict[str, ProcessVersion] = {}
        self._load()

    def _load(self) -> None:
        # Bytes decoded without newline translation, so the hash is that of the files as they are.
        dmn = {path.name: path.read_bytes().decode("utf-8") for path in sorted(self.bpmn_dir.glob("*.dmn"))}
        for path in sorted(self.bpmn_dir.glob("*.bpmn")):
            for version in parse(path.read_bytes(), path.name, dmn):
                self.processes[version.process_id] = version

    def get(self, process_id: str) -> ProcessVersion:
        try:
            return self.processes[process_id]
        except KeyError:
            raise LookupError(f"no executable process '{process_id}' in {self.bpmn_dir}") from None


_cache: dict[Path, SpecLibrary] = {}
_lock = Lock()


def library(bpmn_dir: Path) -> SpecLibrary:
    key = Path(bpmn_dir).resolve()
    with _lock:
        if key not in _cache:
            _cache[key] = SpecLibrary(key)
        return _cache[key]
