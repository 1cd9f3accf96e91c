"""`motcua staff import` against the real local broker: what lands on the topic, read back."""
from __future__ import annotations

import json
import subprocess
import sys

from kafka import KafkaConsumer, TopicPartition
from openpyxl import load_workbook

from ingestion.settings import PROJECT_ROOT
from motcua.cli import main
from tests.ingestion.cli_relay import closed_port
from tests.ingestion.staff_import.sheets import (
    GOOD_ROWS, HEADER_VI, RECORDED_AT, body, good_events, with_id, write_csv, write_xlsx,
)
from tests.ingestion.staff_import.test_rows import BAD_HEADER, BAD_ROWS, BAD_REPORT


def staff_import(capsys, bootstrap: str, topic: str, path, *extra: str) -> tuple[int, list[str], list[str]]:
    code = main(["staff", "import", str(path), "--topic", topic, "--bootstrap-servers", bootstrap,
                 "--recorded-at", RECORDED_AT, *extra])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes, dict]]:
    """Every record of the topic as (key, event), in (partition, offset) order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records = []
        for _ in range(30):   # bounded: a broker that stops answering fails the test, not hangs it
            if all(consumer.position(tp) >= ends[tp] for tp in partitions):
                break
            for batch in consumer.poll(timeout_ms=1_000).values():
                records.extend(batch)
        assert all(consumer.position(tp) >= ends[tp] for tp in partitions), "could not read the topic to its end"
    finally:
        consumer.close()
    records.sort(key=lambda r: (r.partition, r.offset))
    return [(r.key, json.loads(r.value.decode("utf-8"))) for r in records]


def by_id(records: list[tuple[bytes, dict]]) -> dict[str, tuple[bytes, dict]]:
    return {event["event_id"]: (key, event) for key, event in records}


def expected(events: list[dict]) -> dict[str, tuple[bytes, dict]]:
    return {e["event_id"]: (e["officer_id"].encode(), e) for e in events}


def test_a_csv_and_an_xlsx_of_good_rows_put_the_exact_events_on_the_topic(services, make_topic, tmp_path, capsys):
    bootstrap = services.bootstrap_servers
    csv_topic, xlsx_topic = make_topic(partitions=3), make_topic(partitions=3)
    csv_path = write_csv(tmp_path / "danh-gia.csv", HEADER_VI, GOOD_ROWS)
    xlsx_path = write_xlsx(tmp_path / "danh-gia.xlsx", HEADER_VI, GOOD_ROWS)

    csv_result = staff_import(capsys, bootstrap, csv_topic, csv_path)
    xlsx_result = staff_import(capsys, bootstrap, xlsx_topic, xlsx_path)

    for (code, out, err), path, topic in ((csv_result, csv_path, csv_topic), (xlsx_result, xlsx_path, xlsx_topic)):
        assert (code, err) == (0, [])
        assert [json.loads(line) for line in out] == [{"file": str(path), "rows": 3, "valid": 3, "invalid": 0, "sent": 3,
                                                      "topic": topic, "occurred_at": RECORDED_AT}]
    records = read_topic(bootstrap, csv_topic)
    assert len(records) == 3 and by_id(records) == expected(good_events())
    assert by_id(read_topic(bootstrap, xlsx_topic)) == expected(good_events())


def test_bad_rows_are_all_reported_and_nothing_is_produced(services, make_topic, tmp_path, capsys):
    topic = make_topic(partitions=2)
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)

    code, out, err = staff_import(capsys, services.bootstrap_servers, topic, path)

    assert code == 1
    assert err == [*BAD_REPORT, "motcua staff: 17 of 18 rows are invalid (listed above); nothing was sent; "
                                "correct them and import the file again (or --skip-invalid to send the valid rows)"]
    assert json.loads(out[0])["sent"] == 0
    assert read_topic(services.bootstrap_servers, topic) == []


def test_skip_invalid_sends_only_the_valid_rows(services, make_topic, tmp_path, capsys):
    topic = make_topic(partitions=2)
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)

    code, out, err = staff_import(capsys, services.bootstrap_servers, topic, path, "--skip-invalid")

    assert code == 1
    assert err == [*BAD_REPORT, "motcua staff: 17 of 18 rows are invalid (listed above); the 1 valid row was sent"]
    assert json.loads(out[0])["sent"] == 1
    only = with_id(body("CB0058", "STP", "2026-Q2", "CB0002", "peer", (10, 10, 10)))
    assert read_topic(services.bootstrap_servers, topic) == [(b"CB0058", only)]


def test_importing_the_same_file_twice_redelivers_the_same_events(services, make_topic, tmp_path, capsys):
    topic = make_topic(partitions=3)
    path = write_xlsx(tmp_path / "thang-3.xlsx", HEADER_VI, GOOD_ROWS)

    assert staff_import(capsys, services.bootstrap_servers, topic, path)[0] == 0
    assert staff_import(capsys, services.bootstrap_servers, topic, path)[0] == 0

    records = read_topic(services.bootstrap_servers, topic)
    assert len(records) == 6
    # each event twice, byte for byte the same payload (exact redeliveries: the loader stores one)
    ids = sorted(event["event_id"] for _, event in records)
    assert ids == sorted(2 * [e["event_id"] for e in good_events()])
    for event_id, (key, event) in expected(good_events()).items():
        assert [(k, e) for k, e in records if e["event_id"] == event_id] == [(key, event), (key, event)]


def test_the_filled_xlsx_template_imports(services, make_topic, tmp_path, capsys):
    topic = make_topic(partitions=1)
    template = tmp_path / "mau-danh-gia.xlsx"
    assert main(["staff", "template", str(template)]) == 0
    workbook = load_workbook(template)
    sheet = workbook["Đánh giá"]
    workbook.move_sheet("Hướng dẫn", offset=-1)   # the guide first: the assessment sheet is still found
    for row, values in enumerate(GOOD_ROWS, start=2):   # typed into the prepared rows, as a manager does
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value or None)
    workbook.save(template)
    capsys.readouterr()

    code, _, err = staff_import(capsys, services.bootstrap_servers, topic, template)

    assert (code, err) == (0, [])
    assert by_id(read_topic(services.bootstrap_servers, topic)) == expected(good_events())


def test_kafka_unreachable_is_one_line_and_exit_2(services, tmp_path):
    port = closed_port()
    path = write_csv(tmp_path / "a.csv", HEADER_VI, GOOD_ROWS)

    result = subprocess.run([sys.executable, "-m", "motcua", "staff", "import", str(path), "--bootstrap-servers",
                             f"127.0.0.1:{port}", "--connect-timeout", "2"], capture_output=True, text=True,
                            timeout=30, cwd=PROJECT_ROOT)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"motcua staff: broker at 127.0.0.1:{port} is unreachable (no answer within 2s); start the services with "
        "'make up', check them with 'make status', or set KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers) to a "
        "running broker"]


def test_a_missing_topic_is_one_line_and_exit_2(services, tmp_path, capsys):
    path = write_csv(tmp_path / "a.csv", HEADER_VI, GOOD_ROWS)

    code, _, err = staff_import(capsys, services.bootstrap_servers, "test.no-such-staff-topic", path,
                                "--connect-timeout", "2")

    assert code == 2
    assert err == [f"motcua staff: topic test.no-such-staff-topic does not exist on {services.bootstrap_servers} or "
                   "may not be written; create it ('motcua ingest --topic test.no-such-staff-topic topic') or pass --topic"]
