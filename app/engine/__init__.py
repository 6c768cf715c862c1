"""The only package that imports SpiffWorkflow. The web layer and the domain services ask it to start
a process, complete a task with validated data, and fire due timers."""
from app.engine.runtime import (  # noqa: F401
    STARTED_CASES,
    TASK_ROW_LOADS,
    LockedTask,
    NotWaiting,
    StepResult,
    TaskNotReady,
    complete,
    default_process_ids,
    default_version,
    diagram_of,
    element_states,
    fire_timers,
    lock_for_completion,
    move,
    parse_versions,
    process_version,
    signal,
    source_of,
    start,
)
from app.engine.specs import spec_hash  # noqa: F401
from app.engine.timers import TIMER_CHANNEL  # noqa: F401
from app.engine.versions import DiagramProblem, compare, deployed, parse, problems  # noqa: F401
