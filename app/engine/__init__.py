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
    fire_timers,
    lock_for_completion,
    process_version,
    signal,
    start,
)
from app.engine.timers import TIMER_CHANNEL  # noqa: F401
