"""How a page tells people what happened: errors as Chinese boxes (never a traceback), one-shot success
messages that survive a rerun, and lists of plain sentences. Typed text is always shown literally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from fazhi.errors import FazhiError, InvalidInput
from fazhi.text import markdown_literal

NOTICE_KEY = "fazhi_notice"


def show_error(error: FazhiError) -> None:
    """A Chinese error box; for invalid input, one line per problem (messages may quote user text: escaped)."""
    if isinstance(error, InvalidInput) and len(error.problems) > 1:
        lines = "\n".join(
            f"- {'第' + str(p.row) + '行：' if p.row else ''}{markdown_literal(p.message)}"
            for p in error.problems[:50]
        )
        more = f"\n- ……另有{len(error.problems) - 50}处" if len(error.problems) > 50 else ""
        st.error(f"有{len(error.problems)}处需要修改：\n{lines}{more}", icon=":material/error:")
    else:
        st.error(markdown_literal(error.message), icon=":material/error:")


@contextmanager
def guard() -> Iterator[None]:
    """Run an action; a FazhiError becomes a Chinese error box instead of a traceback."""
    try:
        yield
    except FazhiError as error:
        show_error(error)


def flash(message: str) -> None:
    """A success message shown once on the next run (survives st.rerun)."""
    st.session_state[NOTICE_KEY] = message


def show_flash() -> None:
    """Show and clear the message left by `flash`."""
    message = st.session_state.pop(NOTICE_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def plain_list(lines: list[str]) -> None:
    """A bulleted list of plain sentences (escaped, never Markdown)."""
    st.markdown("\n".join(f"- {markdown_literal(line)}" for line in lines))
