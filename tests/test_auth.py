"""fazhi.auth: hashed passwords, first administrator, login with lockout, permissions by unit and role."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fazhi import auth, db
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
        ("short1", "密码至少需要8个字符。"),
        ("aaaaaaaa", "密码过于简单"),
        ("x" * 129, "密码不能超过128个字符。"),
    ],
)
def test_weak_passwords_are_refused(database: db.Database, password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        auth.create_first_admin(database, "admin", password, "张三", "燕山乡", "township")
    assert auth.user_count(database) == 0


def test_login_and_lockout_after_five_failures(database: db.Database) -> None:
    auth.create_first_admin(database, "admin", PASSWORD, "张三", "燕山乡", "township")
    assert auth.authenticate(database, "admin", PASSWORD).username == "admin"
    with pytest.raises(AuthError, match="用户名或密码错误。"):
        auth.authenticate(database, "nobody", PASSWORD)
    now = datetime(2026, 3, 1, 9, 0)
    for attempt in range(1, 5):
        with pytest.raises(AuthError, match=f"再错{5 - attempt}次将锁定账号"):
            auth.authenticate(database, "admin", "wrong-password", now)
    with pytest.raises(AuthError, match="账号已锁定15分钟"):
        auth.authenticate(database, "admin", "wrong-password", now)
    with pytest.raises(AuthError, match="请于 09:15 后再试"):
        auth.authenticate(database, "admin", PASSWORD, now + timedelta(minutes=14))
    assert auth.authenticate(database, "admin", PASSWORD, now + timedelta(minutes=16)).username == "admin"
    actions = [
        row[0] for row in database.rows("SELECT action FROM audit_log WHERE entity = 'user' ORDER BY id")
    ]
    assert actions.count("login_failed") == 5 and actions.count("login") == 2


def test_disabled_account_cannot_log_in(demo: db.Database, users: dict[str, auth.User]) -> None:
    auth.set_active(demo, users["admin"], users["editor"].username, False)
    with pytest.raises(AuthError, match="已停用"):
        auth.authenticate(demo, users["editor"].username, PASSWORD)
    assert auth.load_user(demo, users["editor"].id) is None
    with pytest.raises(PermissionDenied, match="不能停用自己的账号"):
        auth.set_active(demo, users["admin"], users["admin"].username, False)


def test_permissions_follow_the_unit_tree(demo: db.Database, users: dict[str, auth.User]) -> None:
    township, village, other = (find_unit(demo, n) for n in ("燕山乡", "示例一村", "示例二村"))
    auth.require_view(users["county_admin"], township)
    auth.require_edit(users["admin"], village)
    auth.require_edit(users["village_editor"], village)
    with pytest.raises(PermissionDenied):
        auth.require_view(users["village_editor"], other)
    with pytest.raises(PermissionDenied):
        auth.require_view(users["village_editor"], township)
    with pytest.raises(PermissionDenied, match="查看者"):
        auth.require_edit(users["viewer"], village)
    with pytest.raises(PermissionDenied, match="只有管理员"):
        auth.require_admin(users["editor"], village)


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


def test_the_app_hashes_with_argon2id_recommended_parameters() -> None:
    """The suite swaps in cheaper parameters for speed (tests/conftest.py); the program keeps argon2's defaults."""
    from argon2 import PasswordHasher, Type

    from tests.conftest import PRODUCTION_HASHER

    default = PasswordHasher()
    assert PRODUCTION_HASHER.type is Type.ID
    assert (PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost, PRODUCTION_HASHER.parallelism) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
    )
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024  # OWASP's minimum for argon2id
