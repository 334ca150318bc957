"""The tasks extension (SEP-2663) through the gateway: an upstream's task, under an id of ours.

An upstream's CreateTaskResult reaches the client with a `taskId` the gateway seals (HMAC, as
requestState is sealed) from the upstream's name, the upstream's own task id and the caller's
principal. `tasks/get`, `tasks/update` and `tasks/cancel` with that id find their upstream on
any replica that shares the state secret, and only for the caller that started the task;
anything else is -32602, as an unknown task is. The upstream's answers come back with the
client's id in place of its own.

The id does not expire (the upstream's own TTL bounds the task: past it the upstream says the
task is unknown), so sealing the same task for the same caller again gives the same id: the
status notifications of a task (`task_status`) name it as its CreateTaskResult did.
"""

from __future__ import annotations

from mcproute.protocol.jsonrpc import INVALID_PARAMS, Json, MCPError
from mcproute.protocol.server.input_required import RequestStates, StateError

BOUND_TO = "task"


class RelayedTasks:
    def __init__(self, states: RequestStates) -> None:
        self._states = states

    def expose(self, upstream: str, result: Json, principal: str | None) -> Json:
        """An upstream's task-shaped result (CreateTaskResult, or a task from tasks/get) with
        the id the client is to use."""
        return {**result, "taskId": self.client_id(upstream, result.get("taskId"), principal)}

    def client_id(self, upstream: str, task_id: object, principal: str | None) -> str:
        """The id `principal` knows the upstream's task `task_id` by."""
        carry = {"upstream": upstream, "id": task_id}
        return self._states.seal(BOUND_TO, {}, carry, principal, expires=False)

    def route(self, params: Json, principal: str | None) -> tuple[str, Json]:
        """(upstream, the params with its own task id) for a tasks/* request."""
        task_id = params.get("taskId")
        if not isinstance(task_id, str):
            raise MCPError(INVALID_PARAMS, "params.taskId: required, a string")
        try:
            carry = self._states.open(task_id, BOUND_TO, principal)["carry"]
        except StateError:
            raise MCPError(INVALID_PARAMS, f"params.taskId: unknown task {task_id!r}") from None
        return carry["upstream"], {**params, "taskId": carry["id"]}
