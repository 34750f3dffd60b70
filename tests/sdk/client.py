"""Drive batch-odata serve with an unmodified azure-batch SDK and check every answer.

Usage: client.py BASE_URL ACCOUNT KEY JOB_ID

The SDK version decides the api-version: azure-batch 6.0.0 sends 2018-12-01.8.0 and
4.1.3 sends 2018-03-01.6.1, which has no executionInfo/result filter but does have
TaskCounts.validationStatus. The script exits non-zero at the first failed check.
"""

import inspect
import logging
import sys

import azure.batch.models as models
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
from azure.batch.models import BatchErrorException

TASK_COUNT = 2500
COLLECTION_SIZE = 100
TERMINATED = 25
PAGE_SIZE = 400


def check(condition, message):
    if not condition:
        raise SystemExit(f"check failed: {message}")


def value(enum_or_text):
    """Returns the wire text of an SDK enum member or a plain string."""
    return getattr(enum_or_text, "value", enum_or_text)


def make_client(base_url, account, key):
    credentials = SharedKeyCredentials(account, key)
    # 4.1.3 names the parameter base_url; 5.0.0 and later name it batch_url.
    if "batch_url" in inspect.signature(BatchServiceClient.__init__).parameters:
        return BatchServiceClient(credentials, batch_url=base_url)
    return BatchServiceClient(credentials, base_url=base_url)


def error_code(call):
    try:
        call()
    except BatchErrorException as error:
        return error.error.code
    return None


def main():
    # msrest warns on every call that SharedKeyCredentials lacks session reuse.
    logging.getLogger("msrest").setLevel(logging.ERROR)
    base_url, account, key, job_id = sys.argv[1:5]
    client = make_client(base_url, account, key)
    api_version = client.api_version
    has_result_filter = api_version >= "2018-08-01.7.0"
    print(f"api-version {api_version}")

    # Jobs: add, get, list.
    pool = models.PoolInformation(pool_id="pool-1")
    client.job.add(models.JobAddParameter(id=job_id, pool_info=pool))
    job = client.job.get(job_id)
    check(job.id == job_id, f"job.get returned {job.id}")
    check(value(job.state) == "active", f"job state {job.state}")
    check(job_id in [listed.id for listed in client.job.list()], "job.list lacks the job")
    add_again = lambda: client.job.add(models.JobAddParameter(id=job_id, pool_info=pool))
    check(error_code(add_again) == "JobExists", "adding the job twice")

    # Tasks: add_collection, 100 per call.
    ids = [f"task-{n:05d}" for n in range(TASK_COUNT)]
    for start in range(0, TASK_COUNT, COLLECTION_SIZE):
        chunk = [
            models.TaskAddParameter(id=task_id, command_line=f"/bin/echo {task_id}")
            for task_id in ids[start:start + COLLECTION_SIZE]
        ]
        result = client.task.add_collection(job_id, chunk)
        statuses = {value(item.status) for item in result.value}
        check(statuses == {"success"}, f"add_collection statuses {statuses}")
        check(all(item.e_tag for item in result.value), "add_collection without eTags")
    duplicate = lambda: client.task.add(job_id, models.TaskAddParameter(id=ids[0], command_line="x"))
    check(error_code(duplicate) == "TaskExists", "adding a task twice")

    # List every page with $select.
    options = models.TaskListOptions(select="id,state", max_results=PAGE_SIZE)
    listed = list(client.task.list(job_id, task_list_options=options))
    check([task.id for task in listed] == ids, "listed ids differ from the added ones")
    check(all(value(task.state) == "active" for task in listed), "a listed task is not active")
    check(all(task.command_line is None for task in listed), "$select kept commandLine")

    # Terminate some tasks, then filter for them.
    terminated = ids[::TASK_COUNT // TERMINATED][:TERMINATED]
    for task_id in terminated:
        client.task.terminate(job_id, task_id)
    if has_result_filter:
        task_filter = "executionInfo/result eq 'failure'"
    else:
        task_filter = "state eq 'completed'"
    options = models.TaskListOptions(filter=task_filter, select="id,executionInfo", max_results=10)
    matched = list(client.task.list(job_id, task_list_options=options))
    check([task.id for task in matched] == terminated, f"{task_filter} matched {len(matched)} tasks")
    options = models.TaskListOptions(filter="startswith(id, 'task-001')", max_results=PAGE_SIZE)
    prefixed = [task.id for task in client.task.list(job_id, task_list_options=options)]
    check(prefixed == [i for i in ids if i.startswith("task-001")], "startswith filter")

    # Get Task Counts, raw to see which fields the body has.
    counts = client.job.get_task_counts(job_id)
    check(counts.active == TASK_COUNT - TERMINATED, f"active {counts.active}")
    check(counts.completed == TERMINATED, f"completed {counts.completed}")
    check(counts.failed == TERMINATED, f"failed {counts.failed}")
    check(counts.succeeded == 0 and counts.running == 0, "succeeded and running are 0")
    body = client.job.get_task_counts(job_id, raw=True).response.json()
    if has_result_filter:
        check("validationStatus" not in body, "validationStatus in a 7.0+ body")
    else:
        check(value(counts.validation_status).lower() == "validated", "validationStatus")

    # Get one terminated task.
    task = client.task.get(job_id, terminated[1])
    check(value(task.state) == "completed", f"task state {task.state}")
    check(value(task.previous_state) == "active", f"previous state {task.previous_state}")
    info = task.execution_info
    check(value(info.result) == "failure", f"result {info.result}")
    check(info.failure_info.code == "TaskEnded", f"failure code {info.failure_info.code}")
    check(value(info.failure_info.category).lower() == "usererror", "failure category")
    missing = lambda: client.task.get(job_id, "no-such-task")
    check(error_code(missing) == "TaskNotFound", "getting a missing task")

    # Delete one task and the job.
    client.task.delete(job_id, ids[-1])
    check(error_code(lambda: client.task.get(job_id, ids[-1])) == "TaskNotFound", "task delete")
    client.job.delete(job_id)
    check(error_code(lambda: client.job.get(job_id)) == "JobNotFound", "job delete")
    print(f"ok: {TASK_COUNT} tasks added, listed, filtered, counted and terminated")


if __name__ == "__main__":
    main()
