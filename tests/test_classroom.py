"""The classroom benchmark in its tiny mode: a few visitors and the hostile one against a public server.
It checks behaviour, not timings: every lesson endpoint answered, each answer equal to the same request
made alone, no error but "busy, try again", and the server still up at the end. The lesson's run is the
session's trained starter (`--run`), not one the bench trains again; its main() runs in the test process."""

import json

from .conftest import bench_main

LESSON_ENDPOINTS = ("/tokenize", "/classify", "/explain", "/evaluate", "/compare_runs", "/model_map")
HOSTILE_ENDPOINTS = ("/tokenize", "/classify", "/explain", "/classify_batch", "/upload_dataset", "/start_training")


def test_a_tiny_class_gets_right_answers_and_the_server_survives(trained_run, as_a_script, capsys):
    bench_main("classroom.py")(["--tiny", "--run", str(trained_run)])
    printed = capsys.readouterr()
    report = json.loads(printed.out.strip().splitlines()[-1])
    endpoints, totals = report["endpoints"], report["totals"]
    for endpoint in LESSON_ENDPOINTS:
        assert endpoints.get(endpoint, {}).get("requests", 0) > 0, f"no visitor reached {endpoint}"
    for endpoint in HOSTILE_ENDPOINTS:
        assert endpoints.get(f"hostile {endpoint}", {}).get("requests", 0) > 0, f"no hostile {endpoint}"
    assert totals["wrong_answers"] == 0, report["messages"]["wrong"]
    assert totals["errors"] == 0, (report["messages"]["error"], printed.err[-3000:])
    assert report["server"]["survived"]
    assert totals["threads_not_ended"] == 0
    assert report["server"]["vmhwm_mb"] > 0
    # The figures the targets name come first, and the server's log gave each request's own CPU.
    assert report["requests"] == totals["requests"] and report["p95_classify_s"] > 0
    assert report["request_cpu_s"]["classify_text"]["requests"] >= endpoints["/classify"]["requests"]
    assert report["max_request_cpu_s"] == max(cost["max"] for cost in report["request_cpu_s"].values())
