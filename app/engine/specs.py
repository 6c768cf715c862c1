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


class SpecLibrary:
    def __init__(self, bpmn_dir: Path):
        self.bpmn_dir = Path(bpmn_dir)
        self.processes: dict[str, ProcessVersion] = {}
        self._load()

    def _load(self) -> None:
        bpmn_files = sorted(self.bpmn_dir.glob("*.bpmn"))
        dmn_files = sorted(self.bpmn_dir.glob("*.dmn"))
        dmn_digest = hashlib.sha256()
        for path in dmn_files:
            dmn_digest.update(path.read_bytes())
        for path in bpmn_files:
            parser = SpiffBpmnParser()
            content = path.read_bytes()  # bytes: lxml refuses a str with an XML declaration
            parser.add_bpmn_io(io.BytesIO(content), str(path))
            for dmn in dmn_files:
                parser.add_dmn_io(io.BytesIO(dmn.read_bytes()), str(dmn))
            spec_hash = hashlib.sha256(content + dmn_digest.digest()).hexdigest()
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
                self.processes[process_id] = ProcessVersion(
                    process_id=process_id,
                    name=process_parser.get_name(),
                    spec=spec,
                    subprocess_specs=subprocess_specs,
                    spec_hash=spec_hash,
                    filename=path.name,
                )

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
