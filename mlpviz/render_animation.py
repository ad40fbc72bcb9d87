"""Animations of a run's timeline: views replayed over its checkpoints, as a GIF or an MP4.

Each frame of the animation is one checkpoint: a caption with the iteration and J above the
chosen views side by side, drawn from that checkpoint's Frame with QPainter on a QImage (no
window; any thread). The frames follow the timeline's own spacing, every iteration at the
start and fewer per iteration later, so the early, fast changes are all there; a long run is
thinned evenly along its checkpoints to at most MAX_FRAMES. GIFs are encoded by Pillow; MP4s
by the ffmpeg of ``imageio-ffmpeg`` (the optional extra ``video``). Files are written
atomically; a cancelled export leaves none.

Views are drawn through ``VIEW_RENDERERS``, a table from a view's objectName to a function
``(frame, width, height) -> QImage``: another view is one more line in it.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from threadpoolctl import threadpool_limits

from mlpviz.core.atomic import FILE_MODE, write_atomically
from mlpviz.core.errors import MlpvizError
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.style import CLASS_COLORS, FOREGROUND
from mlpviz.render import (
    PlaneFigure,
    data_plane_figure,
    ensure_application,
    feature_space_figure,
    paint_plane,
)

MAX_FRAMES = 300  # "a few hundred": long runs are thinned to this many checkpoints
MAX_FRAME_RATE = 25  # frames per second at most: shorter GIF delays are not honoured
SECONDS_PER_FRAME = 0.1  # the default length: 10 frames a second…
MIN_DEFAULT_SECONDS, MAX_DEFAULT_SECONDS = 10.0, 30.0  # …kept between 10 and 30 s
MIN_SECONDS, MAX_SECONDS = 1.0, 600.0
HOLD_LAST_SECONDS = 2.0  # the final state stays on screen before the animation loops…
HOLD_LAST_SHARE = 0.15  # …for at most this share of the whole
DEFAULT_SIZE = 480  # pixels: the height of a view, and its width
GIF_SIZES = (320, 480, 640)  # a GIF holds every frame in memory while it is encoded
VIDEO_SIZES = (480, 720, 1080)
MIN_SIZE, MAX_SIZE = 160, 1080
CAPTION_SHARE = 0.1  # the caption band's height, as a share of a view's
VIDEO_FPS_RANGE = (10, 30)
VIDEO_HINT = 'MP4 needs the optional package imageio-ffmpeg: pip install "mlpviz[video]"'
TRACK_COLOR = "#DDDDDD"
# Colours drawn flat, kept exact in a GIF's palette (see _GifPalette).
FLAT_COLORS = ("#FFFFFF", FOREGROUND, TRACK_COLOR, "#2B2B2B", "#555555")  # last: render.py's


class AnimationError(MlpvizError):
    """An animation that cannot be made as asked (a format, a length, a view)."""


# Not an error, a way back out of an export the user stopped (like network.Interrupted).
class Cancelled(Exception):  # noqa: N818
    """The export was cancelled between two frames; nothing was written."""


# --- which checkpoints, for how long ------------------------------------------------------
def default_seconds(n_frames: int) -> float:
    """10 frames a second, the whole lasting 10 to 30 s."""
    return min(MAX_DEFAULT_SECONDS, max(MIN_DEFAULT_SECONDS, n_frames * SECONDS_PER_FRAME))


def frame_indices(count: int, seconds: float | None = None) -> list[int]:
    """Which of ``count`` checkpoints become frames: all of them up to MAX_FRAMES (and
    MAX_FRAME_RATE a second), else that many spread evenly along the checkpoints, the first
    and the last included. Even in checkpoints, not in iterations: the timeline's spacing
    (dense early on) carries over to the animation."""
    most = MAX_FRAMES if seconds is None else min(MAX_FRAMES, int(seconds * MAX_FRAME_RATE))
    if count <= most:
        return list(range(count))
    return np.unique(np.linspace(0, count - 1, most).round().astype(int)).tolist()


def frame_durations(n_frames: int, seconds: float) -> list[float]:
    """Seconds each frame stays on screen, adding up to ``seconds``: the same for all but
    the last, which is held a little longer so the result can be seen before the loop."""
    if n_frames == 1:
        return [seconds]
    hold = min(HOLD_LAST_SECONDS, HOLD_LAST_SHARE * seconds)
    step = (seconds - hold) / (n_frames - 1)
    return [step] * (n_frames - 1) + [hold]


def checked_seconds(seconds: float | None, n_frames: int) -> float:
    """``seconds``, or the default for ``n_frames`` frames; AnimationError out of range."""
    if seconds is None:
        return default_seconds(n_frames)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:  # also refuses NaN
        raise AnimationError(
            f"an animation lasts {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds, not {seconds}"
        )
    return float(seconds)


def timeline_frames(
    session: Session, last: int | None = None, seconds: float | None = None
) -> list[Frame]:
    """The Frames of ``session``'s checkpoints 0…``last`` (default: all) that an animation
    ``seconds`` long shows (see frame_indices): every one, up to MAX_FRAMES.

    Call it while nothing else uses the session (the app holds the worker's lock). Only the
    checkpoints shown get a network, and the frames share one loss record, so a long run of
    a large network costs a few hundred networks at most.
    """
    count = len(session.timeline) if last is None else last + 1
    seconds = checked_seconds(seconds, min(count, MAX_FRAMES))
    frames: list[Frame] = []
    for index in frame_indices(count, seconds):
        snapshot, data = session.checkpoint_snapshot(index)
        if frames:
            snapshot = replace(snapshot, history=frames[0].snapshot.history)
        frames.append(Frame(snapshot, data.dataset, data.test_mask, checkpoint=index))
    return frames


# --- drawing a frame -----------------------------------------------------------------------
Renderer = Callable[[Frame, int, int], QImage]


def render_data_plane(frame: Frame, width: int, height: int) -> QImage:
    """The data plane of ``frame``: decision regions, boundary, points, axes and legend."""
    # Colours need no float64: float32 evaluates the grid about twice as fast (as the app's
    # data plane does).
    net = frame.snapshot.net.astype(np.float32)
    return _plane_image(data_plane_figure(net, frame.dataset, frame.test_mask), width, height)


def render_feature_space(frame: Frame, width: int, height: int) -> QImage:
    """The last hidden layer's feature space of ``frame``, on the run's axes (stored in its
    checkpoint): the samples there, the output's decision and the input grid bent."""
    snapshot = frame.snapshot
    figure = feature_space_figure(
        snapshot.net, frame.dataset, frame.test_mask, snapshot.feature_axes
    )
    return _plane_image(figure, width, height)


def _plane_image(figure: PlaneFigure, width: int, height: int) -> QImage:
    image = _white_image(width, height)
    painter = QPainter(image)
    try:
        paint_plane(painter, figure, None, width, height)
    finally:
        painter.end()
    return image


VIEW_RENDERERS: dict[str, Renderer] = {
    "dataPlane": render_data_plane,
    "featureSpacePlot": render_feature_space,
}


def checked_views(views: Sequence[str]) -> tuple[str, ...]:
    """``views`` as a tuple, each one a name in VIEW_RENDERERS; AnimationError otherwise."""
    names = (views,) if isinstance(views, str) else tuple(views)
    if not names:
        raise AnimationError("an animation needs at least one view")
    for name in names:
        if name not in VIEW_RENDERERS:
            known = ", ".join(VIEW_RENDERERS)
            raise AnimationError(f"no animation of the view {name!r}; there is one of {known}")
    return names


def checked_size(size: int | None) -> int:
    """A view's side in pixels, rounded down to a multiple of 16 (what video codecs want)."""
    if size is None:
        return DEFAULT_SIZE
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise AnimationError(f"an animation's size is {MIN_SIZE} to {MAX_SIZE} pixels, not {size}")
    return int(size) // 16 * 16


def caption_height(size: int) -> int:
    """The caption band above the views: a tenth of a view, a multiple of 16 pixels."""
    return max(32, round(size * CAPTION_SHARE / 16) * 16)


def render_frame(frame: Frame, views: Sequence[str], size: int, position: float) -> QImage:
    """One image of the animation: the caption, then the ``views`` of ``frame`` side by side,
    each ``size`` pixels square. ``position`` (0…1) is how far into the animation it is,
    shown as a bar under the caption."""
    band = caption_height(size)
    image = _white_image(size * len(views), size + band)
    painter = QPainter(image)
    try:
        for column, name in enumerate(views):
            painter.drawImage(column * size, band, VIEW_RENDERERS[name](frame, size, size))
        _paint_caption(painter, frame, image.width(), band, position)
    finally:
        painter.end()
    return image


def caption(frame: Frame) -> str:
    """``iteration 1,200 · J = 0.3121 (test 0.3512)``: J without the L2 term, to 4
    significant digits (a J of 8.7e-07 is not 0)."""
    snapshot = frame.snapshot
    text = f"iteration {snapshot.iteration:,}  ·  J = {snapshot.train_loss:.4g}"
    if math.isfinite(snapshot.test_loss):
        text += f"  (test {snapshot.test_loss:.4g})"
    return text


def _paint_caption(painter: QPainter, frame: Frame, width: int, band: int, position: float):
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(10, round(band * 0.42)))
    painter.setFont(font)
    painter.setPen(QColor(FOREGROUND))
    margin = band * 0.4
    text_box = QRectF(margin, 0, width - 2 * margin, band - 4)
    painter.drawText(
        text_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, caption(frame)
    )
    # Where this frame is in the animation, as a thin bar along the caption's bottom edge.
    track = QRectF(margin, band - 5, width - 2 * margin, 3)
    painter.fillRect(track, QColor(TRACK_COLOR))
    done = QRectF(track.left(), track.top(), track.width() * position, track.height())
    painter.fillRect(done, QColor(CLASS_COLORS[0]))


def _white_image(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor("white"))
    return image


def rgb_array(image: QImage) -> np.ndarray:
    """The pixels of ``image`` as a (height, width, 3) uint8 array (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


# --- writing the file ----------------------------------------------------------------------
def video_available() -> bool:
    """Whether MP4 can be written: ``imageio-ffmpeg`` (the extra ``video``) is installed."""
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def write_animation(
    path: str | os.PathLike,
    frames: Sequence[Frame],
    *,
    views: Sequence[str] = ("dataPlane",),
    seconds: float | None = None,
    size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Write ``frames`` (a run's timeline, see timeline_frames; thinned here too if there are
    more than the length allows) as an animation to ``path``.

    ``.gif`` or ``.mp4`` by the suffix; ``seconds`` long (default: see default_seconds);
    each view ``size`` pixels square. ``progress(done, total)`` is called after each frame;
    ``cancelled()`` is asked before each, and True raises Cancelled with nothing written.
    """
    # Fonts cannot be drawn without a QApplication (the CLI has none until here).

    ensure_application()
    target = Path(path)
    encoder = _encoder(target.suffix.lower())
    views, side = checked_views(views), checked_size(size)
    if not frames:
        raise AnimationError("the run has no checkpoint to animate")
    seconds = checked_seconds(seconds, min(len(frames), MAX_FRAMES))
    chosen = [frames[i] for i in frame_indices(len(frames), seconds)]
    reel = _Reel(chosen, views, side, progress, cancelled)
    # The grid's matrices are small: BLAS threads would only fight over the cores (ten
    # times slower on a busy machine). The app's worker sets the same limit.
    with threadpool_limits(limits=1, user_api="blas"):
        encoder(target, reel, frame_durations(len(chosen), seconds))


class _Reel:
    """The images of an animation, drawn on demand: iterating draws them all in order,
    asking ``cancelled()`` before each (True raises Cancelled) and telling ``progress``."""

    def __init__(
        self,
        frames: Sequence[Frame],
        views: Sequence[str],
        side: int,
        progress: Callable[[int, int], None] | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self._frames, self._views, self._side = frames, views, side
        self._progress, self._cancelled = progress, cancelled

    def __len__(self) -> int:
        return len(self._frames)

    def image(self, index: int) -> QImage:
        """Image ``index`` of the animation."""
        position = index / max(1, len(self._frames) - 1)
        return render_frame(self._frames[index], self._views, self._side, position)

    def __iter__(self) -> Iterator[QImage]:
        for index in range(len(self._frames)):
            if self._cancelled is not None and self._cancelled():
                raise Cancelled
            yield self.image(index)
            if self._progress is not None:
                self._progress(index + 1, len(self._frames))


def _encoder(suffix: str) -> Callable[[Path, _Reel, list[float]], None]:
    if suffix == ".gif":
        return _write_gif
    if suffix == ".mp4":
        if not video_available():
            raise AnimationError(VIDEO_HINT)
        return _write_mp4
    raise AnimationError(f"an animation is a .gif or an .mp4 file, not {suffix or 'no suffix'}")


def _write_gif(path: Path, reel: _Reel, durations: list[float]) -> None:
    """A looping GIF in one palette made from the first, middle and last images.

    One palette for all: a region keeps its colour from frame to frame (no flicker), the
    file is half the size and mapping to it is fast. No dithering: flat regions stay flat.
    """
    samples = [rgb_array(reel.image(i)) for i in sorted({0, len(reel) // 2, len(reel) - 1})]
    palette = _GifPalette(np.concatenate(samples))
    frames = [palette.map(rgb_array(image)) for image in reel]
    centiseconds = _rounded_steps(durations, 100)  # GIF delays count hundredths of a second
    first, rest = frames[0], frames[1:]

    def write(handle) -> None:
        first.save(
            handle,
            "GIF",
            save_all=True,
            append_images=rest,
            duration=[10 * step for step in centiseconds],
            loop=0,
        )

    write_atomically(path, write)


class _GifPalette:
    """256 colours for the images like ``sample`` (h, w, 3): the flat colours (white, text,
    classes) exactly, the gradients of the regions in the other entries."""

    def __init__(self, sample: np.ndarray) -> None:
        self._exact = [QColor(name).getRgb()[:3] for name in (*FLAT_COLORS, *CLASS_COLORS)]
        count = 256 - len(self._exact)
        gradients = Image.fromarray(sample).quantize(count, dither=Image.Dither.NONE)
        self._palette = Image.new("P", (1, 1))
        exact = [channel for rgb in self._exact for channel in rgb]
        self._palette.putpalette(exact + gradients.getpalette()[: 3 * count])

    def map(self, rgb: np.ndarray) -> Image.Image:
        """``rgb`` (h, w, 3) as a "P" image in this palette.

        Pillow maps colours through a cache of 5–6 bits a channel, which turns white into a
        near-white grey: the exact colours are put back by hand.
        """
        indices = np.asarray(
            Image.fromarray(rgb).quantize(palette=self._palette, dither=Image.Dither.NONE)
        ).copy()
        packed = rgb.astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
        for index, (red, green, blue) in enumerate(self._exact):
            indices[packed == (red << 16 | green << 8 | blue)] = index
        image = Image.frombytes("P", (rgb.shape[1], rgb.shape[0]), indices.tobytes())
        image.putpalette(self._palette.getpalette())
        return image


def _write_mp4(path: Path, reel: _Reel, durations: list[float]) -> None:
    """H.264 at a constant frame rate, each image repeated for its duration."""
    import imageio_ffmpeg

    fps = min(VIDEO_FPS_RANGE[1], max(VIDEO_FPS_RANGE[0], math.ceil(1 / min(durations))))
    repeats = _rounded_steps(durations, fps)
    with _temporary_beside(path) as temporary:
        writer = None
        try:
            for image, count in zip(reel, repeats):
                if writer is None:
                    writer = imageio_ffmpeg.write_frames(
                        str(temporary),
                        (image.width(), image.height()),
                        fps=fps,
                        quality=8,
                        ffmpeg_log_level="error",
                        output_params=["-movflags", "+faststart"],
                    )
                    writer.send(None)  # starts ffmpeg
                pixels = rgb_array(image).tobytes()
                for _ in range(count):
                    writer.send(pixels)
        finally:
            if writer is not None:
                writer.close()


def _rounded_steps(durations: list[float], per_second: int) -> list[int]:
    """Each duration in whole 1/``per_second`` s, rounded so that the running total stays
    within half a step of the exact one (the whole length is kept)."""
    ends = np.floor(np.cumsum(durations) * per_second + 0.5).astype(int)
    return np.diff(ends, prepend=0).tolist()


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    """A temporary file name beside ``path``, with its suffix, for a writer that needs a name;
    renamed over ``path`` when the block ends normally, removed otherwise."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_timeline_gif(
    session: Session, path: str | os.PathLike, *, last: int | None = None, size: int | None = None
) -> None:
    """``boundary.gif`` of ``mlpviz train``/``export``: the data plane over the session's
    checkpoints 0…``last`` (default: all), one frame per checkpoint up to MAX_FRAMES."""
    write_animation(path, timeline_frames(session, last), size=size)
