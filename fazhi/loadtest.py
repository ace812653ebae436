"""`python -m fazhi loadtest` (also `python -m fazhi bench --users 1,10,20,40`): the real server under N
concurrent sessions that speak the browser's own protocol.

One run builds a temporary database (the bench's synthetic generator: 200,000 records, 51 units, 5 years by
default) with one 录入员 account per simulated user, starts `streamlit run server.py` headless on a free
loopback port, and for each N in `--users` drives N sessions at once. A session is what a browser tab does
over the websocket `/_stcore/stream`: it sends `BackMsg.rerun_script` (a `ClientState` with the page hash
and the widget values changed, as the frontend's WidgetStateManager does) and reads `ForwardMsg`s until
`script_finished`; a message the session has already seen comes back as `ref_hash`, as it does for a
browser that reports its `cached_message_hashes`. Chromium pages for 40 users would saturate 2 cores by
themselves, so the client is this light protocol speaker, one asyncio loop in the calling process.

Each session logs in, then repeats: 看板, change the year or the unit, 台账, 录入 (open, pick a type, save a
record), waiting a think time (10 s ± 50 % by default) before each step. With `--report`, one more session
(not counted among the N) opens 年度报告 and downloads the Word report (charts included) again and again
for as long as the others work, as the browser does: a backend operation asking for the download button's
deferred file, then the file's URL; its times are shown apart, and the N users' figures show what one
colleague's report costs the others. Per N it reports p50/p95 of each
interaction (send → script finished), the server's CPU (cores: CPU seconds ÷ wall seconds) and RSS, and
every exception or error box a page showed; the N = 1 row is the same-run single-user baseline.

The login is `log_in` alone, so a cookie login (a POST before the websocket opens) changes one function.

Over 400 lines because it is one tool: the protocol speaker (`Session`), the server it drives
(`running_server`) and the measuring loop change together whenever Streamlit's protocol does.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from streamlit.proto.BackMsg_pb2 import BackendOperationRequest, BackMsg, DeferredFileRequestPayload
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from fazhi import auth, db, records, sample
from fazhi.bench import machine
from fazhi.catalog import load_catalog
from fazhi.settings import LOCAL_POSTGRES, PROJECT_DIR

# A password zxcvbn accepts; the accounts live only in the temporary database.
PASSWORD = "Lt7#qPz-sunrise-ledger"
INTERACTIONS = ("登录", "看板", "换年度或单位", "台账", "录入", "选择类型", "保存")
REPORT = "报告"  # the extra session's download of the Word report (with --report)
RECORD_TYPE = "market_day"  # the type the sessions save: three whole-number fields, none required


@dataclass
class Sample:
    """One interaction of one session: its name, seconds from send to script finished, and what went wrong."""

    name: str
    seconds: float
    problem: str = ""


@dataclass
class Stage:
    """The figures of one N."""

    users: int
    samples: list[Sample]
    wall: float
    server_cpu: float  # CPU seconds of the server process during the stage
    server_rss_peak: float  # MB
    server_rss_end: float  # MB
    client_cpu: float  # CPU seconds of this process (the protocol clients) during the stage
    load: tuple[float, float]  # the machine's 1-minute load average at the start and the end

    def seconds(self, name: str | None = None) -> list[float]:
        """Latencies of one interaction (all the users' interactions when None: the report is apart)."""
        return [s.seconds for s in self.samples if s.name == name or (name is None and s.name != REPORT)]

    @property
    def problems(self) -> list[Sample]:
        """Interactions that raised, timed out or showed an exception or an error box."""
        return [s for s in self.samples if s.problem]


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# ───────────── the database and the server ─────────────


def prepare_database(path: Path, record_count: int, unit_count: int, year_count: int, accounts: int) -> None:
    """The synthetic database of the bench, plus `accounts` 录入员 (load00, load01, …) spread over the 乡镇."""
    catalog = load_catalog()
    database = db.connect(path)
    try:
        townships = max(1, round((unit_count - 1) / 5))
        made = sample.synthetic_units(database, townships=townships, villages_per_township=4)
        last = date.today().year
        years = list(range(last - year_count + 1, last + 1))
        items = sample.synthetic_records(catalog, made, years, record_count)
        actor = auth.system_user("loadtest")
        for start in range(0, len(items), 50_000):
            records.import_records(database, actor, catalog, items[start : start + 50_000])
        towns = [u for u in made if u.level == "township"]
        for n in range(accounts):
            auth.create_user(database, actor, username(n), PASSWORD, "editor", towns[n % len(towns)].id)
    finally:
        database.close()


def username(n: int) -> str:
    """The account of simulated user n."""
    return f"load{n:02d}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """`streamlit run server.py` (app.py with its routes, as run.py starts it) on a loopback port, with its
    CPU time and memory read from /proc."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server process so far (NaN where /proc is missing)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the server process in MB (NaN where /proc is missing)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")


class Served(Protocol):
    """What a stage measures: one app process (Server) or several behind a proxy (cluster.Cluster)."""

    url: str

    def cpu_seconds(self) -> float: ...

    def rss_mb(self) -> float: ...


@contextmanager
def running_server(
    database: Path | str, folder: Path, timeout: float = 90, *, files: Path | None = None
) -> Iterator[Server]:
    """The app served from `database` (a DuckDB file, or a postgresql:// URL whose evidence files live beside
    `files`) until the block ends (then stopped)."""
    port = _free_port()
    log = folder / "streamlit.log"
    env = {**os.environ, "FAZHI_DB": str(files or database), "FAZHI_AUTO_BACKUP": "0"}
    if db.is_url(str(database)):
        env["FAZHI_DATABASE_URL"] = str(database)
    command = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_until_answering(server.url + "/_stcore/health", process, log, timeout, "streamlit")
        yield server
    finally:
        stop_process(process, timeout=20)


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float, name: str
) -> None:
    """Poll `url` until it answers 200; RuntimeError with `log` when `process` (`name`) exits or time runs
    out (the app's processes here, Caddy in fazhi/cluster.py)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer:\n{log.read_text(errors='replace')}") from None
            time.sleep(0.3)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate, then kill after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ───────────── one browser session over the websocket ─────────────


class ProtocolError(Exception):
    """The page did not offer what the scenario needs (a widget, a page), or the server closed."""


@dataclass
class Widget:
    """A widget of the last script run: its element id, element kind and proto (options, etc.)."""

    id: str
    kind: str
    proto: Any


@dataclass
class Session:
    """One browser tab: a websocket, the pages offered, the widgets of the last run, the message cache."""

    url: str
    timeout: float = 120.0
    pages: dict[str, str] = field(default_factory=dict)  # url path → page script hash
    widgets: dict[str, Widget] = field(default_factory=dict)  # user key → widget
    page_hash: str = ""
    _cache: dict[str, Any] = field(default_factory=dict)
    _socket: Any = None
    session_id: str = ""  # the server's id of this session (a backend operation must name it)
    cookie: str = ""  # what the page load set (a proxy's sticky-session cookie), sent with every request
    _requests: int = 0

    async def open(self) -> None:
        """Load the page, then open the websocket as the frontend does (subprotocol 'streamlit'), sending the
        cookies the page load set: behind a proxy with sticky sessions (deploy/Caddyfile) the websocket and
        the downloads then reach the process the page came from, as a browser's do."""
        self.cookie = await asyncio.to_thread(_cookies_of, self.url + "/", self.timeout)
        address = self.url.replace("http://", "ws://") + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else None
        self._socket = await connect(
            address,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            max_size=None,
            open_timeout=60,
            additional_headers=headers,
        )

    async def close(self) -> None:
        """Close the websocket (the server then forgets the session)."""
        if self._socket is not None:
            await self._socket.close()

    async def run(self, page: str | None = None, values: dict[str, Any] | None = None) -> list[str]:
        """Rerun the script, on `page` (a url path) or the current page, with widget `values` (by user key;
        True for a button); returns the problems the page showed (exceptions, error boxes)."""
        if page is not None:
            if page not in self.pages:
                raise ProtocolError(f"no page {page!r} offered (pages: {sorted(self.pages)})")
            self.page_hash = self.pages[page]
        state = ClientState(query_string="", page_script_hash=self.page_hash)
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        for key, value in (values or {}).items():
            state.widget_states.widgets.append(self._state(key, value))
        state.cached_message_hashes.extend(self._cache)
        await self._socket.send(BackMsg(rerun_script=state).SerializeToString())
        problems: list[str] = []
        widgets: dict[str, Widget] = {}
        while True:
            data = await asyncio.wait_for(self._socket.recv(), self.timeout)
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "ref_hash":
                message = self._cache[message.ref_hash]
                kind = message.WhichOneof("type")
            elif message.metadata.cacheable and message.hash:
                self._cache[message.hash] = message
            if kind == "new_session":  # a script run starts (again, after st.rerun)
                problems, widgets = [], {}
                self.session_id = message.new_session.initialize.session_id or self.session_id
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in message.navigation.app_pages}
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                problems.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element, widgets, problems)
            elif kind == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("script compile error")
                break
        self.widgets = widgets
        return problems

    async def download(self, key: str) -> list[str]:
        """Click a download button whose file is made on click: ask for its deferred file as the browser
        does, then fetch the URL the server answers with; the problems (none when a file came)."""
        file_id = self.widget(key).proto.deferred_file_id
        if not file_id:
            raise ProtocolError(f"download button {key!r} has no deferred file")
        self._requests += 1
        request_id = f"loadtest-{self._requests}"
        request = BackendOperationRequest(
            request_id=request_id,
            session_id=self.session_id,
            deferred_file=DeferredFileRequestPayload(file_id=file_id),
        )
        await self._socket.send(BackMsg(backend_operation_request=request).SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(self._socket.recv(), self.timeout))
            if message.WhichOneof("type") == "ref_hash":
                continue
            response = message.backend_operation_response
            if (
                message.WhichOneof("type") == "backend_operation_response"
                and response.request_id == request_id
            ):
                break
        if response.error_msg:
            return [f"download failed: {response.error_msg}"]
        body = await asyncio.to_thread(
            _fetch, self.url + response.deferred_file.url, self.timeout, self.cookie
        )
        return [] if len(body) > 1000 else [f"download too short: {len(body)} bytes"]

    @staticmethod
    def _element(element: Any, widgets: dict[str, Widget], problems: list[str]) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            problems.append(f"exception: {element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == 1:  # Alert.Format.ERROR: an st.error box
            problems.append(f"error box: {element.alert.body[:200]}")
        proto = getattr(element, kind) if kind else None
        element_id = getattr(proto, "id", "")
        if isinstance(element_id, str) and element_id.startswith("$$ID-"):
            key = element_id.split("-", 2)[2]
            widgets[key] = Widget(element_id, kind or "", proto)

    def widget(self, key: str) -> Widget:
        """The widget with this user key in the last run; ProtocolError when the page did not show it."""
        if key not in self.widgets:
            raise ProtocolError(f"no widget {key!r} on the page (widgets: {sorted(self.widgets)[:30]})")
        return self.widgets[key]

    def _state(self, key: str, value: Any) -> Any:
        widget = self.widget(key)
        state = WidgetState(id=widget.id)
        if widget.kind == "button":
            state.trigger_value = True
        elif widget.kind == "number_input":
            state.double_value = float(value)
        elif widget.kind == "date_input":
            state.string_array_value.data.append(value.isoformat())
        elif widget.kind == "checkbox":
            state.bool_value = bool(value)
        else:  # text_input, text_area, selectbox, radio: the text the browser shows
            state.string_value = str(value)
        return state


def _fetch(url: str, timeout: float, cookie: str = "") -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def _cookies_of(url: str, timeout: float) -> str:
    """The cookies a page load sets, as a Cookie header ('' for none)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        pairs = [c.split(";", 1)[0].strip() for c in response.headers.get_all("Set-Cookie") or []]
        response.read()
    return "; ".join(p for p in pairs if "=" in p)


async def log_in(session: Session, name: str, password: str) -> list[str]:
    """Log in through the login page's form (the first page an anonymous session gets)."""
    session.widget("login_username")  # the login page is showing
    return await session.run(
        values={"login_username": name, "login_password": password, "login_submit": True}
    )


# ───────────── the scenario ─────────────


@dataclass
class Scenario:
    """What every simulated user does, and how long they think before each step."""

    think: float = 10.0
    jitter: float = 0.5  # think time is think × uniform(1 - jitter, 1 + jitter)
    cycles: int = 2  # 看板 → year/unit → 台账 → 录入 → type → save, this many times after logging in
    report: bool = False  # one more session downloads the Word report meanwhile (see the module's note)


async def simulate(url: str, n: int, scenario: Scenario, rng: random.Random, out: list[Sample]) -> None:
    """One user: connect, log in, then the cycles of the scenario; every interaction is appended to `out`."""
    session = Session(url)

    async def step(name: str, call: Any) -> None:
        await asyncio.sleep(scenario.think * rng.uniform(1 - scenario.jitter, 1 + scenario.jitter))
        start = time.perf_counter()
        try:
            problems = await call()
            problem = "; ".join(problems)
        except Exception as error:  # a timeout, a closed socket, a missing widget: counted, never hidden
            problem = f"{type(error).__name__}: {error}"
        out.append(Sample(name, time.perf_counter() - start, problem))

    try:
        await session.open()
        await session.run()  # the first page load: the login page
        await step("登录", lambda: log_in(session, username(n), PASSWORD))
        for cycle in range(scenario.cycles):
            await step("看板", lambda: session.run("dashboard"))
            await step("换年度或单位", lambda c=cycle: _change_year_or_unit(session, n + c))
            await step("台账", lambda: session.run("ledger"))
            await step("录入", lambda: session.run("entry"))
            await step("选择类型", lambda: _pick_type(session))
            await step("保存", lambda c=cycle: _save(session, n, c))
    except Exception as error:
        out.append(Sample("连接", 0.0, f"{type(error).__name__}: {error}"))
    finally:
        await session.close()


async def report_writer(url: str, n: int, scenario: Scenario, rng: random.Random, out: list[Sample]) -> None:
    """The extra session of --report (account n): log in, open 年度报告, then download the Word report
    after each think time, for as long as the users' cycles last (6 steps each)."""
    session = Session(url)
    try:
        await session.open()
        await session.run()
        await log_in(session, username(n), PASSWORD)
        await session.run("report")
        for _ in range(scenario.cycles * 2):
            await asyncio.sleep(3 * scenario.think * rng.uniform(1 - scenario.jitter, 1 + scenario.jitter))
            start = time.perf_counter()
            try:
                problem = "; ".join(await session.download("report_download_docx"))
            except Exception as error:  # as in simulate: counted, never hidden
                problem = f"{type(error).__name__}: {error}"
            out.append(Sample(REPORT, time.perf_counter() - start, problem))
    except Exception as error:
        out.append(Sample(REPORT, 0.0, f"{type(error).__name__}: {error}"))
    finally:
        await session.close()


async def _change_year_or_unit(session: Session, turn: int) -> list[str]:
    """Every other turn another year (the newest two alternate), else another unit of the sidebar."""
    key = "year_picker" if turn % 2 == 0 else "unit_picker"
    proto = session.widget(key).proto
    options = list(proto.options)
    current = proto.raw_value if proto.HasField("raw_value") else options[proto.default]
    others = [o for o in options[:2] if o != current] or [o for o in options if o != current] or options
    return await session.run(values={key: others[0]})


async def _pick_type(session: Session) -> list[str]:
    proto = session.widget("entry_type").proto
    label = next(o for o in proto.options if o.endswith(" · 赶场日集中宣传"))
    return await session.run(values={"entry_type": label})


async def _save(session: Session, n: int, cycle: int) -> list[str]:
    values: dict[str, Any] = {"entry_title": f"压力测试用户{n}第{cycle + 1}条", "entry_save": True}
    year_text = session.widget("year_picker").proto
    year_options = list(year_text.options)
    chosen = year_text.raw_value if year_text.HasField("raw_value") else year_options[year_text.default]
    values["entry_start_on"] = date(int(chosen.removesuffix("年")), 3, 15)
    for key, widget in session.widgets.items():
        if key.startswith("entry_v_") and widget.kind == "number_input":
            values[key] = 10
    return await session.run(values=values)


async def _stage(url: str, users: int, scenario: Scenario, seed: int) -> list[Sample]:
    samples: list[Sample] = []
    rng = random.Random(seed)
    writers = (
        [report_writer(url, users, scenario, random.Random(rng.random()), samples)] if scenario.report else []
    )
    await asyncio.gather(
        *(simulate(url, n, scenario, random.Random(rng.random()), samples) for n in range(users)), *writers
    )
    return samples


def run_stage(server: Served, users: int, scenario: Scenario, seed: int = 16) -> Stage:
    """N users at once against the running server; CPU and memory measured over the whole stage."""
    peak = server.rss_mb()
    load = _load()
    cpu, client_cpu, start = server.cpu_seconds(), time.process_time(), time.perf_counter()
    stop = False

    async def watch() -> None:
        nonlocal peak
        while not stop:
            peak = max(peak, server.rss_mb())
            await asyncio.sleep(0.5)

    async def both() -> list[Sample]:
        nonlocal stop
        watcher = asyncio.create_task(watch())
        try:
            return await _stage(server.url, users, scenario, seed)
        finally:
            stop = True
            await watcher

    # A loop of its own in a thread of its own: the caller may already run one (pytest with Playwright).
    result: list[list[Sample]] = []
    failed: list[BaseException] = []

    def loop() -> None:
        try:
            result.append(asyncio.run(both()))
        except BaseException as error:  # handed to the caller's thread below
            failed.append(error)

    thread = threading.Thread(target=loop, name="fazhi-loadtest")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    samples = result[0]
    wall = time.perf_counter() - start
    return Stage(
        users,
        samples,
        wall,
        server.cpu_seconds() - cpu,
        peak,
        server.rss_mb(),
        time.process_time() - client_cpu,
        (load, _load()),
    )


def _load() -> float:
    """The 1-minute load average (other programs on the machine share its cores); NaN where unknown."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


TARGET_P95 = 1.5  # seconds: issue 16's goal for every interaction at 40 active users


def run(
    user_counts: Sequence[int],
    record_count: int = 200_000,
    unit_count: int = 50,
    year_count: int = 5,
    scenario: Scenario | None = None,
    say: Any = None,
    *,
    processes: int = 0,
    postgres: str = LOCAL_POSTGRES,
) -> dict[str, Any]:
    """Build the database, start the server, run each N in turn; the figures as plain data.

    With `processes` ≥ 1 the same data also goes into a new database on the PostgreSQL server `postgres`
    (copied before anyone works, so both runs start alike) and the same N are run against that many app
    processes behind Caddy (fazhi/cluster.py); the result then compares the two (`compare`)."""
    scenario = scenario or Scenario()
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="fazhi-loadtest-") as name:
        folder = Path(name)
        path = folder / "loadtest.duckdb"
        start = time.perf_counter()
        prepare_database(path, record_count, unit_count, year_count, max(user_counts) + scenario.report)
        say(f"数据库已生成：{record_count} 条记录，用时 {time.perf_counter() - start:.0f} 秒")
        with ExitStack() as stack:
            url = stack.enter_context(_postgres_copy(path, postgres, say)) if processes else ""
            with running_server(path, folder) as server:
                idle = server.rss_mb()
                stages = []
                for users in user_counts:
                    say(f"正在测试 {users} 个同时在线的用户（一个进程，数据库文件）……")
                    stages.append(run_stage(server, users, scenario))
            log = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
            cluster_stages: list[Stage] = []
            if processes:
                from fazhi import cluster  # cluster imports this module: imported here, when asked for

                with cluster.running_cluster(url, folder / "cluster", processes, files=path) as running:
                    for users in user_counts:
                        say(
                            f"正在测试 {users} 个同时在线的用户（{processes} 个进程，PostgreSQL，经 Caddy）……"
                        )
                        cluster_stages.append(run_stage(running, users, scenario))
                    log += [
                        line
                        for s in running.servers
                        for line in s.log.read_text(errors="replace").splitlines()
                    ]
    every = stages + cluster_stages
    result: dict[str, Any] = {
        "machine": machine(),
        "parameters": {
            "records": record_count,
            "units": unit_count,
            "years": year_count,
            "think_seconds": scenario.think,
            "jitter": scenario.jitter,
            "cycles": scenario.cycles,
            "report": scenario.report,
        },
        "server_idle_rss_mb": idle,
        "stages": [_stage_figures(stage) for stage in stages],
        # The server's own traceback behind an exception the sessions saw (the page shows a redacted one).
        "server_log_tail": log[-40:] if any(stage.problems for stage in every) else [],
    }
    if processes:
        result["cluster"] = {
            "processes": processes,
            "backend": "postgres",
            "stages": [_stage_figures(stage) for stage in cluster_stages],
        }
        result["compare"] = compare(result["stages"], result["cluster"]["stages"])
    return result


@contextmanager
def _postgres_copy(path: Path, server: str, say: Any) -> Iterator[str]:
    """A new database on the PostgreSQL `server` holding what the file at `path` holds; dropped afterwards."""
    from fazhi import database_copy, postgres  # psycopg, only when PostgreSQL is asked for

    name = f"fazhi_loadtest_{os.getpid()}_{random.randrange(16**6):06x}"
    url = postgres.with_database(server, name)
    postgres.create_database(server, name)
    try:
        start = time.perf_counter()
        with db.connect(path) as source, db.connect(url, files=path) as target:
            database_copy.copy(source, target)
        say(f"已复制到 PostgreSQL（{name}），用时 {time.perf_counter() - start:.0f} 秒")
        yield url
    finally:
        postgres.drop_database(server, name)


def capacity(stages: Sequence[dict[str, Any]], target: float = TARGET_P95) -> dict[str, Any] | None:
    """The busiest stage whose p95 over all interactions is within `target` seconds, with no problems:
    its users and its throughput (interactions answered per second); None when no stage was."""
    within = [s for s in stages if s["all"]["p95"] <= target and not s["problems"]]
    if not within:
        return None
    best = max(within, key=lambda s: s["users"])
    return {
        "users": best["users"],
        "p95": best["all"]["p95"],
        "throughput": best["all"]["count"] / best["wall_seconds"] if best["wall_seconds"] else 0.0,
    }


def compare(single: Sequence[dict[str, Any]], several: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the processes behind the proxy carry beside one process, at the same p95 target: the capacity
    of each, and the ratio of their throughputs (None when either has none within the target)."""
    one, many = capacity(single), capacity(several)
    ratio = many["throughput"] / one["throughput"] if one and many and one["throughput"] else None
    return {"target_p95": TARGET_P95, "single": one, "several": many, "throughput_ratio": ratio}


def _stage_figures(stage: Stage) -> dict[str, Any]:
    per = {}
    for name in INTERACTIONS:
        seconds = stage.seconds(name)
        per[name] = {"count": len(seconds), "p50": percentile(seconds, 0.5), "p95": percentile(seconds, 0.95)}
    every = stage.seconds()
    reports = stage.seconds(REPORT)
    return {
        "users": stage.users,
        "interactions": per,
        "report": {"count": len(reports), "p50": percentile(reports, 0.5), "p95": percentile(reports, 0.95)},
        "all": {"count": len(every), "p50": percentile(every, 0.5), "p95": percentile(every, 0.95)},
        "mean": statistics.fmean(every) if every else float("nan"),
        "wall_seconds": stage.wall,
        "server_cpu_cores": stage.server_cpu / stage.wall if stage.wall else float("nan"),
        # CPU seconds the server spent per interaction answered (the report's downloads included): what the
        # other programs sharing the machine's cores do not change, unlike the latencies
        "server_cpu_ms_per_interaction": stage.server_cpu / len(stage.samples) * 1000
        if stage.samples
        else float("nan"),
        "server_rss_peak_mb": stage.server_rss_peak,
        "server_rss_end_mb": stage.server_rss_end,
        "client_cpu_cores": stage.client_cpu / stage.wall if stage.wall else float("nan"),
        "load_average": list(stage.load),
        "problems": [{"interaction": s.name, "problem": s.problem} for s in stage.problems],
    }


def format_table(result: dict[str, Any]) -> str:
    """The stages as a plain-text table: p50/p95 per interaction, CPU and memory, the ratio to N = 1."""
    p = result["parameters"]
    m = result["machine"]
    lines = [
        f"压力测试：{p['records']} 条记录 / {p['units']} 个单位 / {p['years']} 年；每步思考 {p['think_seconds']:g} 秒"
        f" ±{p['jitter'] * 100:.0f}%，每人 {p['cycles']} 轮{'，另有一人反复下载年度报告' if p.get('report') else ''}；{m['cpus']} 核，Python {m['python']}，{m['date']}；"
        f"服务器空闲内存 {result['server_idle_rss_mb']:.0f} MB",
        "",
    ]
    reporting = bool(p.get("report"))
    lines += _stage_rows(result["stages"], reporting)
    several = result.get("cluster")
    if several:
        lines += ["", f"{several['processes']} 个程序进程，PostgreSQL，经 Caddy 转发（同样的数据和用户）："]
        lines += _stage_rows(several["stages"], reporting)
        lines += ["", _comparison(result["compare"], several["processes"])]
    if result["server_log_tail"]:
        lines += ["", "服务器日志（最后几行）：", *result["server_log_tail"]]
    return "\n".join(lines)


def _stage_rows(stages: Sequence[dict[str, Any]], reporting: bool) -> list[str]:
    single = next((s for s in stages if s["users"] == 1), None)
    header = f"{'用户':>4}  {'全部 p50':>8} {'p95':>7} {'p95÷单人':>8}  每秒操作"
    header += "".join(f"  {name} p50/p95" for name in INTERACTIONS)
    header += f"  {REPORT} p50/p95" if reporting else ""
    header += "  服务器CPU(核)  每次CPU  内存峰值  客户端CPU(核)  机器负载  出错"
    lines = [header]
    for stage in stages:
        ratio = stage["all"]["p95"] / single["all"]["p95"] if single else float("nan")
        rate = stage["all"]["count"] / stage["wall_seconds"] if stage["wall_seconds"] else float("nan")
        row = f"{stage['users']:>4}  {stage['all']['p50']:>7.2f}s {stage['all']['p95']:>6.2f}s {ratio:>7.1f}×"
        row += f"  {rate:>7.2f}"
        for name in INTERACTIONS:
            figures = stage["interactions"][name]
            row += f"  {figures['p50']:.2f}/{figures['p95']:.2f}s"
        if reporting:
            row += f"  {stage['report']['p50']:.2f}/{stage['report']['p95']:.2f}s"
        row += f"  {stage['server_cpu_cores']:>8.2f}  {stage.get('server_cpu_ms_per_interaction', float('nan')):>5.0f} ms"
        row += f"  {stage['server_rss_peak_mb']:>6.0f} MB"
        row += f"  {stage['client_cpu_cores']:>8.2f}  {stage['load_average'][0]:.1f}→{stage['load_average'][1]:.1f}"
        row += f"  {len(stage['problems'])}"
        lines.append(row)
    for stage in stages:
        for problem in stage["problems"][:5]:
            lines.append(f"  {stage['users']} 个用户时 {problem['interaction']} 出错：{problem['problem']}")
    return lines


def _comparison(figures: dict[str, Any], processes: int) -> str:
    def said(capacity: dict[str, Any] | None) -> str:
        if capacity is None:
            return "没有一组在目标之内"
        return f"最多 {capacity['users']} 人（p95 {capacity['p95']:.2f} 秒，每秒 {capacity['throughput']:.2f} 次操作）"

    ratio = figures["throughput_ratio"]
    verdict = (
        "无法比较吞吐量（至少一方没有一组在目标之内）"
        if ratio is None
        else f"吞吐量为一个进程的 {ratio:.2f} 倍"
    )
    return (
        f"p95 ≤ {figures['target_p95']:g} 秒时：一个进程{said(figures['single'])}；"
        f"{processes} 个进程{said(figures['several'])}；{verdict}。"
    )
