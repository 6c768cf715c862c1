"""Process specs shared between the instances that embed equal copies of them.

An instance's serialized state embeds its process spec (about 24 of the 31 kB of an avvikelse), and
SpiffWorkflow rebuilds the spec objects from it on every load (about 1 ms) and converts them back on
every save. Instances on one spec version embed equal copies, so one spec object is built per distinct
copy and shared, as `engine.start` already shares the library's parsed spec between the instances it
starts (a spec holds no state of a running instance). The key is the embedded copy itself (dict
equality, not the spec hash), so an instance whose copy differs in any way gets its own object.
"""
from __future__ import annotations

import copy
from threading import Lock

from SpiffWorkflow.bpmn.serializer.default.process_spec import BpmnProcessSpecConverter

_VERSIONS_PER_PROCESS = 8  # distinct copies kept per process name, most recently built first
_CONVERTED_MAX = 64


class CachedProcessSpecConverter(BpmnProcessSpecConverter):
    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        self._restored: dict[str, list[tuple[dict, object]]] = {}  # name -> [(embedded copy, spec)]
        self._converted: dict[int, tuple[object, dict]] = {}  # id(spec) -> (spec, its dict)
        self._lock = Lock()

    def from_dict(self, dct):
        name = dct.get("name")
        with self._lock:
            for stored, spec in self._restored.get(name, ()):
                if stored == dct:
                    return spec
        stored = copy.deepcopy(dct)  # the upstream from_dict changes the dict it is given
        spec = super().from_dict(dct)
        with self._lock:
            versions = self._restored.setdefault(name, [])
            versions.insert(0, (stored, spec))
            del versions[_VERSIONS_PER_PROCESS:]
        return spec

    def to_dict(self, spec):
        with self._lock:
            hit = self._converted.get(id(spec))
        if hit is None or hit[0] is not spec:
            hit = (spec, super().to_dict(spec))
            with self._lock:
                if len(self._converted) >= _CONVERTED_MAX:
                    self._converted.clear()
                self._converted[id(spec)] = hit
        # The registry adds the typename to the top level of what it gets; nothing changes the rest
        # before it is dumped as JSON.
        return dict(hit[1])
