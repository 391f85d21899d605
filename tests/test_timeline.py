"""Timeline merging across overlapping exports."""

from datetime import datetime, timezone

from extractor.model import Event, Source
from extractor.timeline import merge_duplicates


def test_same_message_twice_in_one_file_stays_two_events_but_merges_across_files():
    t = datetime(2025, 6, 24, 10, 0, tzinfo=timezone.utc)

    def ev(file, line):
        return Event(t, "buyer", "message", "tb_x", "tb_x", "在吗", Source(file, "h", "wangwang-a", line=line))

    merged = merge_duplicates([ev("a.txt", 1), ev("a.txt", 2), ev("b.txt", 7)])
    assert len(merged) == 2
    assert [s.where() for s in merged[0].sources] == ["a.txt:1", "b.txt:7"]
    assert merged[1].sources == () and merged[1].source.line == 2


def test_a_file_reached_twice_is_read_once(tmp_path):
    from extractor.timeline import walk

    folder = tmp_path / "exports"
    folder.mkdir()
    chat = folder / "chat.txt"
    chat.write_text("x", encoding="utf-8")
    assert walk([folder, chat, str(chat)]) == [str(chat)]
    assert walk([chat, folder]) == [str(chat)]


def _layout_b(buyer: str, lines: list[str]) -> str:
    return "\n".join(["消息记录", f"对象: {buyer}", "即时消息", *lines, ""])


def test_a_message_one_export_lacks_between_shared_ones_is_flagged(tmp_path):
    from extractor.timeline import parse_paths

    first = "2025-03-08 20:11:04 tb_alpha: 在吗"
    promise = "2025-03-08 20:12:30 悦颜美妆旗舰店:小雅: 亲，今天中午12点前一定给您发货"
    last = "2025-03-08 20:15:00 tb_alpha: 好的"
    after = "2025-03-09 09:00:00 tb_alpha: 还没发吗"
    (tmp_path / "a.txt").write_text(_layout_b("tb_alpha", [first, promise, last, after]), encoding="utf-8")
    (tmp_path / "b.txt").write_text(_layout_b("tb_alpha", [first, last]), encoding="utf-8")
    events = parse_paths([tmp_path]).events
    flags = {e.text: e.flags for e in events}
    assert flags == {"在吗": (), "亲，今天中午12点前一定给您发货": ("missing_in_other_export",), "好的": (),
                     "还没发吗": ()}


def test_exports_sharing_one_message_are_not_compared(tmp_path):
    from extractor.timeline import parse_paths

    (tmp_path / "a.txt").write_text(_layout_b("tb_alpha", [
        "2025-03-08 20:11:04 tb_alpha: 在吗", "2025-03-08 20:12:30 tb_alpha: 有货吗"]), encoding="utf-8")
    (tmp_path / "b.txt").write_text(_layout_b("tb_alpha", [
        "2025-03-08 20:11:04 tb_alpha: 在吗", "2025-03-08 20:13:30 悦颜美妆旗舰店:小雅: 有的亲"]), encoding="utf-8")
    assert not any(e.flags for e in parse_paths([tmp_path]).events)
