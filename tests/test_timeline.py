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
