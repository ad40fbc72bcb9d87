"""Object names of the digits workspace's copies of shared widgets.

Every objectName is unique in the window: the 2-D workspace's widgets keep the names the app
has always had (``playButton``, ``timelineSlider``, ``hiddenLayerSize0``…), and the digits
workspace's copies carry its prefix (``digitsPlayButton``, ``digitsTimelineSlider``…).
"""

from __future__ import annotations

from PySide6.QtCore import QObject


def prefixed(prefix: str, name: str) -> str:
    """``name`` with ``prefix`` in camel case ("digits", "playButton" → "digitsPlayButton");
    ``name`` itself when there is no prefix or no name."""
    if not prefix or not name:
        return name
    return prefix + name[0].upper() + name[1:]


def prefix_object_names(root: QObject, prefix: str) -> None:
    """Prefix the objectName of ``root`` and of every named object under it (once: names that
    already carry the prefix, and Qt's own "qt_…" names, are left alone)."""
    for item in (root, *root.findChildren(QObject)):
        name = item.objectName()
        if name and not name.startswith((prefix, "qt_")):
            item.setObjectName(prefixed(prefix, name))
