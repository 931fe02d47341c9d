"""What a Space's page says about its runs folder: kept on a Storage Bucket at /data, or lost at restart."""

from sentiment.serving import studio as studio_module
from sentiment.serving.studio import LOST_AT_RESTART, OFFLINE_NOTICE, Studio


def test_a_space_without_a_bucket_says_its_runs_are_lost_at_restart(tmp_path, monkeypatch):
    assert Studio(tmp_path / "local").notices == [OFFLINE_NOTICE], "off a Space, runs are the owner's own disk"
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    assert Studio(tmp_path / "runs").notices == [OFFLINE_NOTICE, LOST_AT_RESTART]
    monkeypatch.setattr(studio_module, "SPACE_VOLUME", tmp_path / "data")
    assert Studio(tmp_path / "data" / "runs").notices == [OFFLINE_NOTICE]
