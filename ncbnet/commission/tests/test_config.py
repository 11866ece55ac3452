"""COMMISSION_DATABASE_URL: the Commission's own database, validated like DATABASE_URL."""

from django.db import connections

from ncbnet import config


def load(tmp_path, **env):
    base = {"NCBNET_MODE": "test", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(tmp_path)}
    return config.load({**base, **env})


def problems(tmp_path, **env):
    try:
        load(tmp_path, **env)
    except config.ConfigError as exc:
        return exc.problems
    return []


def test_embedded_default_is_a_sqlite_file_of_its_own_in_the_data_directory(tmp_path):
    node = load(tmp_path)
    assert node.commission_database_url == f"sqlite:///{tmp_path / 'commission.sqlite3'}"
    assert node.commission_database_url != node.database_url


def test_on_postgresql_a_database_of_its_own_on_the_same_server(tmp_path):
    node = load(tmp_path, DATABASE_URL="postgres://ncbnet@db.example:5432/hub")
    assert node.commission_database_url == "postgres://ncbnet@db.example:5432/hub_commission"


def test_a_production_hub_on_postgresql_names_it(tmp_path):
    found = problems(
        tmp_path,
        NCBNET_MODE="production",
        NCBNET_SECRET_KEY="x" * 20 + "abcdefghij" * 4,
        NCBNET_ALLOWED_HOSTS="hub.example",
        DATABASE_URL="postgres://ncbnet@db.example:5432/hub",
    )
    assert any(p.startswith("COMMISSION_DATABASE_URL is required") for p in found)


def test_a_bad_or_shared_url_is_refused(tmp_path):
    assert any("not a database URL" in p for p in problems(tmp_path, COMMISSION_DATABASE_URL="nonsense"))
    shared = "postgres://ncbnet@db.example:5432/hub"
    found = problems(tmp_path, DATABASE_URL=shared, COMMISSION_DATABASE_URL=shared)
    assert any("of its own" in p for p in found)
    node = load(tmp_path, COMMISSION_DATABASE_URL="postgres://ccf@ccf.example:5432/ccf")
    assert node.commission_database_url == "postgres://ccf@ccf.example:5432/ccf"


def test_the_test_run_uses_the_backend_the_node_uses():
    """The CI's PostgreSQL run sets DATABASE_URL only: the Commission's database is then a
    PostgreSQL database of its own too (created by pytest-django like the node's)."""
    assert connections["commission"].vendor == connections["default"].vendor
    assert connections["commission"].settings_dict["NAME"] != connections["default"].settings_dict["NAME"]
