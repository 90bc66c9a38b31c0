"""Making a bilaga inert and the same on screen and on paper (pikepdf, i.e. qpdf).

A bilaga becomes part of what is attested, so it must neither do anything when opened nor
show the attesters something other than what the archive's printout shows. ``make_inert``
removes what it must not do: every action but a jump within the document (a web address,
another file, a UNC path, a program, a form submission, JavaScript, media, hiding or
showing annotations and layers), the document's and pages' open actions and every
additional action (/AA), and the document's JavaScript. It removes annotations that look
different on screen and in print: links (clickable areas, and their screen-only borders),
pop-ups, annotations shown only on screen or only in print (the Print and NoView flags),
hidden ones (which an action could reveal), and rollover appearances. What it cannot
flatten it refuses: optional content (layers) that is off by default or whose state
depends on viewing or printing. Embedded files and XFA forms are refused by the intake
check (attest.memos.bilagor) as before.

A file that needs none of this is returned as it was, byte for byte.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from attest.catalogue import N_

# Annotation flags (ISO 32000-1, 12.5.3)
HIDDEN = 1 << 1
PRINT = 1 << 2
NO_VIEW = 1 << 5

# The one action kept: a jump to a place in the same document (harmless, and bookmarks use it).
KEPT_ACTIONS = {"/GoTo"}

# What was removed, and how the handläggare is told (msgids of the catalogue).
REMOVED_TEXT = {
    "action": N_("åtgärder som öppnar webbadresser eller andra filer, eller kör något"),
    "open_action": N_("åtgärder som körs när dokumentet eller en sida öppnas"),
    "javascript": N_("JavaScript"),
    "link": N_("länkar (klickbara områden)"),
    "popup": N_("popup-fönster till anteckningar"),
    "view_dependent": N_("anteckningar som bara syns på skärmen eller bara vid utskrift"),
    "hidden": N_("dolda anteckningar"),
    "rollover": N_("utseenden som bara visas under muspekaren"),
}


class TooManyObjects(Exception):
    pass


class ViewDependentLayers(Exception):
    """Optional content whose visibility is not the same on screen and in print."""


@dataclass(frozen=True)
class Inert:
    data: bytes
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.removed)

    def description(self) -> str:
        """What was removed, in the request's language (Swedish outside one):
        "länkar (klickbara områden) (2), JavaScript (1)"."""
        return described(REMOVED_TEXT, self.removed)


def described(texts: dict[str, str], counts: dict[str, int]) -> str:
    """Each kind's text (translated) with its count: "JavaScript (1), ..."."""
    from flask_babel import gettext

    return ", ".join(f"{gettext(texts[kind])} ({n})" for kind, n in counts.items())


def make_inert(data: bytes, *, max_objects: int) -> Inert:
    """The bilaga without actions and view-dependent annotations (or unchanged).

    Raises ViewDependentLayers, TooManyObjects, or pikepdf's errors for a damaged file.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        _check_layers(pdf)
        removed: Counter[str] = Counter()
        _strip_actions(pdf, removed, max_objects)
        for page in pdf.pages:
            _sort_annotations(page.obj, removed)
        if not removed:
            return Inert(data)
        out = io.BytesIO()
        # Streams copied as they are: never inflated here (a bomb is the intake's to refuse).
        pdf.save(
            out,
            deterministic_id=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            compress_streams=False,
        )
        return Inert(out.getvalue(), dict(removed))


def _name(value: Any) -> str:
    import pikepdf

    return str(value) if isinstance(value, pikepdf.Name) else ""


def _strip_actions(pdf: Any, removed: Counter[str], max_objects: int) -> None:
    """Remove open actions, additional actions, JavaScript and every action but GoTo,
    wherever a dictionary in the file holds them."""
    import pikepdf

    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
        removed["javascript"] += 1
    if "/OpenAction" in root:
        action = root.OpenAction
        is_jump = isinstance(action, pikepdf.Dictionary) and _name(action.get("/S")) == "/GoTo"
        if not is_jump and not isinstance(action, pikepdf.Array):  # an array is a destination
            del root["/OpenAction"]
            removed["open_action"] += 1
    visited = 0
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = list(pdf.objects)
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Object) and item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        visited += 1
        if visited > max_objects:
            raise TooManyObjects()
        if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            _strip_dictionary(item, removed)
            children = list(item.values())
        elif isinstance(item, pikepdf.Array):
            children = list(item)
        else:
            continue
        stack.extend(
            child
            for child in children
            if isinstance(child, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream))
        )


def _strip_dictionary(item: Any, removed: Counter[str]) -> None:
    import pikepdf

    if "/AA" in item:
        del item["/AA"]
        removed["open_action"] += 1
    action = item.get("/A")
    if isinstance(action, pikepdf.Dictionary) and _name(action.get("/S")) not in KEPT_ACTIONS:
        del item["/A"]
        removed["javascript" if _name(action.get("/S")) == "/JavaScript" else "action"] += 1
    if _name(item.get("/S")) in KEPT_ACTIONS and "/Next" in item:
        del item["/Next"]  # a jump followed by anything else
        removed["action"] += 1


def _sort_annotations(page: Any, removed: Counter[str]) -> None:
    """Keep the annotations that look the same on screen and in print; remove the rest."""
    import pikepdf

    annotations = page.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    kept = []
    for annotation in annotations:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        reason = _why_not_kept(annotation)
        if reason:
            removed[reason] += 1
            continue
        appearance = annotation.get("/AP")
        if isinstance(appearance, pikepdf.Dictionary):
            for state in ("/R", "/D"):  # rollover and pressed: only under the mouse
                if state in appearance:
                    del appearance[state]
                    removed["rollover"] += 1
        if "/Popup" in annotation:
            del annotation["/Popup"]
        kept.append(annotation)
    if len(kept) == len(annotations):
        return
    if kept:
        page.Annots = pikepdf.Array(kept)
    else:
        del page["/Annots"]


def _why_not_kept(annotation: Any) -> str:
    subtype = _name(annotation.get("/Subtype"))
    if subtype == "/Link":
        return "link"
    if subtype == "/Popup":
        return "popup"
    try:
        flags = int(annotation.get("/F", 0))
    except (TypeError, ValueError):
        flags = 0
    if flags & HIDDEN:
        return "hidden"
    shown, printed = not flags & NO_VIEW, bool(flags & PRINT)
    if shown and printed:
        return ""
    if not shown and not printed:
        return "hidden"  # seen nowhere: nothing to keep
    return "view_dependent"


def _check_layers(pdf: Any) -> None:
    """Optional content must be on, and the same for viewing and printing; else refused."""
    import pikepdf

    properties = pdf.Root.get("/OCProperties")
    if not isinstance(properties, pikepdf.Dictionary):
        return
    default = properties.get("/D")
    if isinstance(default, pikepdf.Dictionary):
        if _name(default.get("/BaseState")) in ("/OFF", "/Unchanged"):
            raise ViewDependentLayers()
        for key in ("/OFF", "/AS"):
            value = default.get(key)
            if isinstance(value, pikepdf.Array) and len(value):
                raise ViewDependentLayers()
    groups = properties.get("/OCGs")
    for group in groups if isinstance(groups, pikepdf.Array) else ():
        usage = group.get("/Usage") if isinstance(group, pikepdf.Dictionary) else None
        if isinstance(usage, pikepdf.Dictionary) and ("/Print" in usage or "/View" in usage):
            raise ViewDependentLayers()
