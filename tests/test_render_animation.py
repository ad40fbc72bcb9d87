"""Animations of the timeline: which checkpoints, how long, the GIF's frames, cancelling, MP4."""

import numpy as np
import pytest
from PIL import Image

import mlpviz.render_animation as animation
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.session import Session
from mlpviz.render_animation import (
    MAX_FRAMES,
    VIDEO_HINT,
    VIEW_RENDERERS,
    AnimationError,
    Cancelled,
    caption_height,
    frame_durations,
    frame_indices,
    render_frame,
    rgb_array,
    timeline_frames,
    video_available,
    write_animation,
)

SIZE = 160  # pixels a view: small, so the tests are quick


@pytest.fixture(autouse=True)
def _application(qapp):
    """Fonts need a QApplication; pytest-qt's is the one the renderer finds."""


@pytest.fixture(scope="module")
def session():
    """A run of 60 updates on xor: 61 checkpoints, the boundary moving all along."""
    network = NetworkConfig((HiddenLayer(6, "tanh"),), seed=1)
    run = Session(
        make_preset("xor", n=80, noise=0.1, seed=0),
        network,
        TrainingConfig(learning_rate=0.5),
        test_ratio=0.2,
        split_seed=0,
    )
    run.step(60)
    return run


def gif_frames(path):
    """Every frame of the GIF at ``path`` as an (h, w, 3) array, with its duration in ms."""
    with Image.open(path) as gif:
        frames = []
        for index in range(gif.n_frames):
            gif.seek(index)
            frames.append((np.asarray(gif.convert("RGB")), gif.info["duration"]))
        assert gif.info.get("loop") == 0  # loops forever, as a slide wants
    return frames


def difference(a, b):
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


def test_every_checkpoint_is_a_frame_up_to_a_few_hundred():
    assert frame_indices(61) == list(range(61))
    many = frame_indices(900)
    assert len(many) == MAX_FRAMES and many[0] == 0 and many[-1] == 899
    assert np.all(np.diff(many) > 0)


def test_the_frames_keep_the_timelines_dense_start():
    """Thinned along the checkpoints, not the iterations: the first, fast-changing
    iterations keep many frames."""
    run = Session(make_preset("xor", n=40, seed=0), NetworkConfig((), seed=0))
    run.step(5000)
    iterations = np.array(run.timeline.iterations)[frame_indices(len(run.timeline))]
    assert len(iterations) == MAX_FRAMES
    assert (iterations <= 200).sum() >= 40  # evenly in iterations it would be 12
    frames = timeline_frames(run)  # only those checkpoints get a network
    assert [frame.snapshot.iteration for frame in frames] == iterations.tolist()


def test_durations_add_up_and_the_last_frame_is_held():
    durations = frame_durations(61, 10.0)
    assert sum(durations) == pytest.approx(10.0)
    assert durations[-1] > durations[0] == pytest.approx(durations[-2])
    assert 10 <= animation.default_seconds(20) <= animation.default_seconds(300) <= 30


def test_a_short_animation_has_fewer_frames_but_at_least_twenty():
    frames = frame_indices(500, seconds=1.0)
    assert 20 <= len(frames) <= 25


def test_the_gif_replays_the_run_from_its_first_checkpoint(session, tmp_path):
    path = tmp_path / "run.gif"
    write_animation(path, timeline_frames(session), size=SIZE, seconds=10)
    frames = gif_frames(path)
    assert len(frames) == 61
    pictures = [picture for picture, _ in frames]
    distinct = {picture.tobytes() for picture in pictures}
    assert len(distinct) >= 20
    assert pictures[0].shape == (SIZE + caption_height(SIZE), SIZE, 3)
    assert sum(duration for _, duration in frames) == pytest.approx(10_000, abs=10)
    first = rgb_array(render_frame(timeline_frames(session)[0], ["dataPlane"], SIZE, 0.0))
    last = rgb_array(render_frame(timeline_frames(session)[-1], ["dataPlane"], SIZE, 0.0))
    # The GIF's palette changes colours a little; another iteration changes them a lot.
    assert difference(pictures[0], first) < 2.0
    assert difference(pictures[0], last) > 3 * difference(pictures[0], first)


def test_a_cancelled_export_leaves_no_file_and_the_old_one_intact(session, tmp_path):
    path = tmp_path / "run.gif"
    path.write_bytes(b"the previous animation")
    done = []
    with pytest.raises(Cancelled):
        write_animation(
            path,
            timeline_frames(session),
            size=SIZE,
            progress=lambda count, total: done.append((count, total)),
            cancelled=lambda: len(done) >= 5,
        )
    assert done[-1] == (5, 61)
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]
    assert path.read_bytes() == b"the previous animation"


def test_more_views_are_one_more_entry_in_the_table(session, monkeypatch, tmp_path):
    """What the lead adds for the feature space: a renderer under the view's name."""
    monkeypatch.setitem(VIEW_RENDERERS, "otherView", VIEW_RENDERERS["dataPlane"])
    path = tmp_path / "two.gif"
    write_animation(
        path, timeline_frames(session)[:20], views=["dataPlane", "otherView"], size=SIZE
    )
    picture, _ = gif_frames(path)[0]
    assert picture.shape[1] == 2 * SIZE


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("run.png", {}, "a .gif or an .mp4"),
        ("run.gif", {"views": ["lossPlot"]}, "no animation of the view 'lossPlot'"),
        ("run.gif", {"seconds": 0.2}, "1 to 600 seconds"),
        ("run.gif", {"size": 5000}, "160 to 1080 pixels"),
    ],
)
def test_what_cannot_be_made_is_refused_with_a_reason(session, tmp_path, name, options, message):
    with pytest.raises(AnimationError, match=message):
        write_animation(tmp_path / name, timeline_frames(session), **options)
    assert list(tmp_path.iterdir()) == []


def test_without_imageio_ffmpeg_mp4_says_how_to_get_it(session, tmp_path, monkeypatch):
    monkeypatch.setattr(animation, "video_available", lambda: False)
    with pytest.raises(AnimationError) as error:
        write_animation(tmp_path / "run.mp4", timeline_frames(session))
    assert str(error.value) == VIDEO_HINT
    assert 'pip install "mlpviz[video]"' in VIDEO_HINT
    assert list(tmp_path.iterdir()) == []


def test_an_mp4_video_of_the_run(session, tmp_path):
    if not video_available():
        pytest.skip('imageio-ffmpeg is not installed (pip install "mlpviz[video]")')
    import imageio_ffmpeg

    path = tmp_path / "run.mp4"
    write_animation(path, timeline_frames(session), size=SIZE, seconds=4)
    assert path.read_bytes()[4:8] == b"ftyp"  # an MP4 container
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert seconds == pytest.approx(4, abs=0.2) and frames >= 61
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp4"]


def test_a_cancelled_mp4_leaves_no_file(session, tmp_path):
    if not video_available():
        pytest.skip('imageio-ffmpeg is not installed (pip install "mlpviz[video]")')
    done = []
    with pytest.raises(Cancelled):
        write_animation(
            tmp_path / "run.mp4",
            timeline_frames(session),
            size=SIZE,
            progress=lambda count, total: done.append(count),
            cancelled=lambda: len(done) >= 3,
        )
    assert list(tmp_path.iterdir()) == []


def test_the_feature_space_is_animated_beside_the_data_plane_on_the_runs_axes(session):
    """Side by side: the left half is the data plane's frame, the right half the feature
    space drawn on the axes stored in the checkpoint (a scrubbed frame, the same picture)."""
    from mlpviz.core.feature_space import feature_space
    from mlpviz.render import feature_space_figure

    frames = timeline_frames(session)
    both = rgb_array(render_frame(frames[30], ("dataPlane", "featureSpacePlot"), SIZE, 0.5))
    alone = rgb_array(render_frame(frames[30], ("dataPlane",), SIZE, 0.5))
    band = caption_height(SIZE)
    assert both.shape[1] == 2 * alone.shape[1]
    np.testing.assert_array_equal(both[band:, :SIZE], alone[band:, :SIZE])
    right = both[band:, SIZE:]
    assert len(np.unique(right.reshape(-1, 3), axis=0)) > 50  # regions, points, axes drawn
    snapshot = frames[30].snapshot
    figure = feature_space_figure(
        snapshot.net, frames[30].dataset, frames[30].test_mask, snapshot.feature_axes
    )
    stored = feature_space(snapshot.net, frames[30].dataset, snapshot.feature_axes)
    np.testing.assert_array_equal(figure.points, stored.points)
    assert "featureSpacePlot" in VIEW_RENDERERS
