"""fazhi.auth: hashed passwords, first administrator, login with lockout, permissions by unit and role."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from fazhi import auth, db, permissions
from fazhi.errors import AuthError, InvalidInput, PermissionDenied
from fazhi.units import find_unit
from tests.conftest import PASSWORD


def test_first_admin_creates_the_top_unit_and_stores_only_a_hash(database: db.Database) -> None:
    user = auth.create_first_admin(database, "admin", PASSWORD, "张三", "燕山乡", "township")
    assert (user.username, user.display_name, user.role, user.unit_name) == (
        "admin",
        "张三",
        "admin",
        "燕山乡",
    )
    stored = database.one("SELECT password_hash FROM users WHERE username = 'admin'")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(PermissionDenied, match="已初始化"):
        auth.create_first_admin(database, "second", PASSWORD, "李四", "别的乡", "township")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "密码至少需要10个字符。"),
        ("x" * 129, "密码不能超过128个字符。"),
        ("12345678901", "太常见或太容易被猜到"),
        ("password1234", "太常见或太容易被猜到"),
        ("aaaaaaaaaaaa", "太常见或太容易被猜到"),
        ("qwertyuiop", "太常见或太容易被猜到"),
        ("1qaz2wsx3edc", "太常见或太容易被猜到"),
        ("admin123456", "太常见或太容易被猜到"),  # the username plus digits
    ],
)
def test_weak_passwords_are_refused(database: db.Database, password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        auth.create_first_admin(database, "admin", password, "张三", "燕山乡", "township")
    assert auth.user_count(database) == 0


@pytest.mark.parametrize("password", [PASSWORD, "山水-红旗-2026", "wanzhou@2025", "Fazhi-2026"])
def test_reasonable_passwords_are_accepted(password: str) -> None:
    assert auth.password_problems(password, "admin") == []


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("уs_editor", "其他文字的字母"),  # Cyrillic у beside Latin letters
        ("ys\u200beditor", "看不见的字符"),  # a zero-width space
        ("ys editor", "不能有空格"),
        ("a", "2到32个字符"),
        ("αβγ", "其他文字的字母"),
    ],
)
def test_look_alike_usernames_are_refused(database: db.Database, username: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        auth.create_first_admin(database, username, PASSWORD, "张三", "燕山乡", "township")


def test_usernames_are_unique_without_regard_to_case_or_width(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    village = find_unit(demo, "示例一村")
    auth.create_user(demo, users["admin"], "ys_editor", PASSWORD, "editor", village.id)
    for twin in ("YS_EDITOR", "Ys_Editor", "ｙｓ＿ｅｄｉｔｏｒ"):  # the last one in full-width letters
        with pytest.raises(InvalidInput, match="已被使用"):
            auth.create_user(demo, users["admin"], twin, PASSWORD, "editor", village.id)
    # logging in is case-insensitive too, and full-width typing is read as ASCII
    assert auth.authenticate(demo, "YS_Editor", PASSWORD).username == "ys_editor"
    assert auth.authenticate(demo, "ｙｓ_editor", PASSWORD).username == "ys_editor"
    chinese = auth.create_user(demo, users["admin"], "张三丰", PASSWORD, "viewer", village.id)
    assert chinese.username == "张三丰"


def test_login_and_lockout_after_five_failures(database: db.Database) -> None:
    auth.create_first_admin(database, "admin", PASSWORD, "张三", "燕山乡", "township")
    assert auth.authenticate(database, "admin", PASSWORD).username == "admin"
    now = datetime(2026, 3, 1, 9, 0)
    for attempt in range(1, 5):
        with pytest.raises(AuthError, match=f"再错{5 - attempt}次将暂停登录"):
            auth.authenticate(database, "admin", "wrong-password", now, "10.0.0.9")
    with pytest.raises(AuthError, match="已连续输错5次，暂停登录15分钟"):
        auth.authenticate(database, "admin", "wrong-password", now, "10.0.0.9")
    with pytest.raises(AuthError, match="请于 09:15 后再试"):  # even the right password waits
        auth.authenticate(database, "admin", PASSWORD, now + timedelta(minutes=14), "10.0.0.9")
    assert auth.paused_until(database, "admin", now) == now + timedelta(minutes=15)
    later = now + timedelta(minutes=16)
    assert auth.authenticate(database, "admin", PASSWORD, later, "10.0.0.9").username == "admin"
    actions = [
        row[0] for row in database.rows("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY id")
    ]
    assert actions.count("login_failed") == 5 and actions.count("login") == 2


def test_unknown_disabled_and_wrong_get_the_same_message(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    auth.set_active(demo, users["admin"], users["editor"].username, False)
    said = set()
    for name, password in (
        ("nobody", PASSWORD),  # no such user
        (users["editor"].username, PASSWORD),  # disabled, right password
        (users["viewer"].username, "wrong-password"),  # wrong password
    ):
        with pytest.raises(AuthError) as caught:
            auth.authenticate(demo, name, password, address="10.0.0.5")
        said.add(caught.value.message)
    assert said == {"用户名或密码错误（或账号已停用）。再错4次将暂停登录。"}
    # an unknown name is paused like a real one, so the pause tells nothing either
    for _ in range(4):
        with pytest.raises(AuthError):
            auth.authenticate(demo, "nobody", PASSWORD, address="10.0.0.5")
    with pytest.raises(AuthError, match="已暂停登录"):
        auth.authenticate(demo, "nobody", PASSWORD, address="10.0.0.5")


def test_a_stranger_pauses_an_account_only_on_the_strangers_computer(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    admin = users["admin"].username
    for _ in range(6):
        with pytest.raises(AuthError):
            auth.authenticate(demo, admin, "wrong-password", address="10.0.0.66")
    with pytest.raises(AuthError, match="已暂停登录"):
        auth.authenticate(demo, admin, PASSWORD, address="10.0.0.66")
    assert auth.authenticate(demo, admin, PASSWORD, address="10.0.0.2").username == admin
    # and the command line (or another administrator) lifts every pause
    auth.unlock(demo, auth.system_user(), admin)
    assert auth.authenticate(demo, admin, PASSWORD, address="10.0.0.66").username == admin


def test_an_address_guessing_many_names_is_paused(demo: db.Database, users: dict[str, auth.User]) -> None:
    for n in range(auth.MAX_ADDRESS_FAILURES):
        with pytest.raises(AuthError):
            auth.authenticate(demo, f"guess{n}", "wrong-password", address="10.0.0.77")
    with pytest.raises(AuthError, match="这台电脑登录失败的次数过多"):
        auth.authenticate(demo, users["editor"].username, PASSWORD, address="10.0.0.77")
    assert auth.authenticate(demo, users["editor"].username, PASSWORD, address="10.0.0.78")


def test_parallel_wrong_guesses_each_count(database: db.Database) -> None:
    """24 simultaneous wrong guesses: every one is counted before its password is checked, so at most 5
    reach the check and the account is paused afterwards (issue 10: the counter used to stay at 1)."""
    auth.create_first_admin(database, "admin", PASSWORD, "张三", "燕山乡", "township")
    barrier = threading.Barrier(24)
    outcomes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            auth.authenticate(database, "admin", "wrong-password", address="10.0.0.3")
        except AuthError as error:
            outcomes.append(error.message)

    threads = [threading.Thread(target=guess) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 24
    assert sum("已暂停登录，请于" in message for message in outcomes) == 19
    assert database.one(
        "SELECT failures FROM login_failures WHERE username_key = 'admin' AND address = '10.0.0.3'"
    ) == (24,)
    with pytest.raises(AuthError, match="已暂停登录"):
        auth.authenticate(database, "admin", PASSWORD, address="10.0.0.3")


def test_disabled_account_cannot_log_in(demo: db.Database, users: dict[str, auth.User]) -> None:
    auth.set_active(demo, users["admin"], users["editor"].username, False)
    with pytest.raises(AuthError, match="或账号已停用"):
        auth.authenticate(demo, users["editor"].username, PASSWORD)
    assert auth.load_user(demo, users["editor"].id) is None
    with pytest.raises(PermissionDenied, match="不能停用自己的账号"):
        auth.set_active(demo, users["admin"], users["admin"].username, False)


def test_permissions_follow_the_unit_tree(demo: db.Database, users: dict[str, auth.User]) -> None:
    township, village, other = (find_unit(demo, n) for n in ("燕山乡", "示例一村", "示例二村"))
    permissions.require_view(users["county_admin"], township)
    permissions.require_edit(users["admin"], village)
    permissions.require_edit(users["village_editor"], village)
    with pytest.raises(PermissionDenied):
        permissions.require_view(users["village_editor"], other)
    with pytest.raises(PermissionDenied):
        permissions.require_view(users["village_editor"], township)
    with pytest.raises(PermissionDenied, match="查看者"):
        permissions.require_edit(users["viewer"], village)
    with pytest.raises(PermissionDenied, match="只有管理员"):
        permissions.require_admin(users["editor"], village)


def test_only_admins_of_an_enclosing_unit_create_users(
    demo: db.Database, users: dict[str, auth.User]
) -> None:
    village = find_unit(demo, "示例一村")
    created = auth.create_user(demo, users["admin"], "cunmin", PASSWORD, "viewer", village.id)
    assert created.unit_name == "示例一村"
    with pytest.raises(PermissionDenied):
        auth.create_user(demo, users["editor"], "x1", PASSWORD, "viewer", village.id)
    with pytest.raises(InvalidInput, match="已被使用"):
        auth.create_user(demo, users["admin"], "cunmin", PASSWORD, "viewer", village.id)
    listed = {u["username"] for u in auth.list_users(demo, users["admin"])}
    assert "cunmin" in listed and users["county_admin"].username not in listed


def test_the_app_hashes_with_owasp_argon2id_parameters() -> None:
    """The suite swaps in cheaper parameters for speed (tests/conftest.py); the program uses OWASP's first
    argon2id setting (m = 19 MiB, t = 2, p = 1), cheap enough for a burst of logins on 2 cores."""
    from argon2 import Type

    from tests.conftest import PRODUCTION_HASHER

    assert PRODUCTION_HASHER.type is Type.ID
    assert (PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost, PRODUCTION_HASHER.parallelism) == (
        2,
        19 * 1024,
        1,
    )


def test_a_hash_with_older_parameters_still_logs_in_and_is_rehashed(
    demo: db.Database, users: dict[str, auth.User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hash made with argon2-cffi's default (64 MiB, t = 3, p = 4: what earlier versions stored) verifies
    with its own parameters, and the login stores a new one with the program's parameters."""
    from argon2 import PasswordHasher

    from tests.conftest import PRODUCTION_HASHER

    editor = users["editor"]
    older = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
    with demo.transaction(figures=False) as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE id = ?", [older, editor.id])
    monkeypatch.setattr(auth, "_hasher", PRODUCTION_HASHER)
    free: list[bool] = []  # whether another thread could take the write lock while the new hash was made
    real = auth.hash_password

    def hashing(password: str) -> str:
        def probe() -> None:
            taken = demo._write_lock.acquire(blocking=False)
            free.append(taken)
            if taken:
                demo._write_lock.release()

        thread = threading.Thread(target=probe)
        thread.start()
        thread.join()
        return real(password)

    monkeypatch.setattr(auth, "hash_password", hashing)
    assert auth.authenticate(demo, editor.username, PASSWORD).id == editor.id
    assert free == [True]  # hashing never holds the office's saves and logins behind it
    (stored,) = demo.one("SELECT password_hash FROM users WHERE id = ?", [editor.id])
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert auth.authenticate(demo, editor.username, PASSWORD).id == editor.id


def test_an_unknown_username_costs_a_real_password_check() -> None:
    """The program's stand-in hash for unknown usernames has the real parameters, so a wrong name takes as
    long as a wrong password (the suite swaps it for a cheap one too)."""
    from tests.conftest import PRODUCTION_DUMMY_HASH, PRODUCTION_HASHER

    assert PRODUCTION_DUMMY_HASH.startswith("$argon2id$")
    assert not PRODUCTION_HASHER.check_needs_rehash(PRODUCTION_DUMMY_HASH)


def test_an_administrator_changes_a_role_and_unit(demo: db.Database, users: dict[str, auth.User]) -> None:
    admin, editor = users["admin"], users["editor"]
    village = find_unit(demo, "示例三村")
    changed = auth.change_role(demo, admin, editor.username, "viewer", village.id)
    assert (changed.role, changed.unit_name) == ("viewer", "示例三村")
    assert auth.load_user(demo, editor.id).role == "viewer"
    (entry,) = demo.rows(
        "SELECT action, entity, before_json->>'role', after_json->>'role', after_json->>'unit' FROM audit_log"
        " WHERE entity = 'user' AND action = 'update'"
    )
    assert entry == ("update", "user", "editor", "viewer", "示例三村")


def test_changing_a_role_is_bounded(demo: db.Database, users: dict[str, auth.User]) -> None:
    admin, editor = users["admin"], users["editor"]
    with pytest.raises(InvalidInput):
        auth.change_role(demo, admin, editor.username, "boss", editor.unit_id)
    with pytest.raises(PermissionDenied, match="不能更改自己的角色或单位"):
        auth.change_role(demo, admin, admin.username, "viewer", admin.unit_id)
    with pytest.raises(PermissionDenied):  # a 乡镇 administrator cannot hand out the county
        auth.change_role(demo, admin, editor.username, "admin", find_unit(demo, "万州区").id)
    with pytest.raises(PermissionDenied):
        auth.change_role(demo, editor, admin.username, "viewer", admin.unit_id)
    assert auth.load_user(demo, editor.id).role == "editor"


def test_people_are_named_by_their_names(demo: db.Database, users: dict[str, auth.User]) -> None:
    names = auth.display_names(demo)
    assert names[users["admin"].username] == users["admin"].display_name
    assert auth.person_name(demo, users["editor"].username) == users["editor"].display_name
    assert auth.person_name(demo, "示例数据") == "示例数据"
