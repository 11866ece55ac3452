"""Statements that every request runs (the session, the signed-in user, the audit chain's head):
the ORM writes each one's SQL once per model, and it is run again with other values
by one cursor call. Writing a query's SQL anew cost more than running it (about 0.4 ms of a
request's CPU a query, against 0.1 ms for the round trip to a local PostgreSQL server).

A `Reader` is made from a function that gives the query for a model; every value the query takes
is named by the field it is compared with, in the order the SQL takes them (one `filter` a
condition keeps that order: the ORM sorts the conditions of one `filter` by name) and is prepared
as the ORM prepares it (`get_db_prep_value`), and each column read is converted as the ORM
converts it.
Only shapes whose SQL does not change with the values (equality and comparisons, not `__in` with
a list) belong here; the plan checks that the SQL takes exactly as many values as the fields name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models

Converter = Callable[[Any, Any, Any], Any]


class Plan:
    def __init__(self, query: models.QuerySet[Any], fields: Sequence[str]):
        model = query.model
        self.using = query.db
        connection = connections[self.using]
        compiler = query.query.get_compiler(self.using)
        self.sql, params = compiler.as_sql()
        if len(params) != len(fields):
            raise ValueError(f"the query takes {len(params)} values, and {len(fields)} fields are named")
        self.fields = [model._meta.get_field(name) for name in fields]
        columns = [column for column, _, _ in compiler.select]
        self.converters: list[tuple[Any, list[Converter]]] = [
            (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
            for column in columns
        ]
        self.attnames = [column.target.attname for column in columns]

    def rows(self, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        connection = connections[self.using]
        params = [
            f.get_db_prep_value(v, connection, prepared=False)
            for f, v in zip(self.fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        if not any(converters for _, converters in self.converters):
            return [tuple(row) for row in found]
        out = []
        for row in found:
            converted = []
            for value, (column, converters) in zip(row, self.converters, strict=True):
                for convert in converters:
                    value = convert(value, column, connection)
                converted.append(value)
            out.append(tuple(converted))
        return out


class Reader:
    """`Reader(lambda model: model.objects.filter(key="").values_list("data"), "key")`: the SQL of
    the model's query, written once and run with other values (`rows`, `first`, `instance`)."""

    def __init__(self, shape: Callable[[Any], models.QuerySet[Any]], *fields: str):
        self.shape = shape
        self.fields = fields
        self._plans: dict[type[models.Model], Plan] = {}

    def plan(self, model: type[models.Model]) -> Plan:
        """The model's plan, made at its first use (a model's database is chosen by the model
        alone here: `DATABASE_ROUTERS` route by app, never by the values of a query)."""
        found = self._plans.get(model)
        if found is None:
            found = self._plans[model] = Plan(self.shape(model), self.fields)
        return found

    def rows(self, model: type[models.Model], values: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self.plan(model).rows(values)

    def first(self, model: type[models.Model], values: Sequence[Any]) -> tuple[Any, ...] | None:
        found = self.rows(model, values)
        return found[0] if found else None

    def instance(self, model: type[models.Model], values: Sequence[Any]) -> Any:
        """The first row as a model instance (for a query of the model's own columns)."""
        plan = self.plan(model)
        found = plan.rows(values)
        return model.from_db(plan.using, plan.attnames, found[0]) if found else None


class Writer:
    """`Writer(Model).insert(objects)`: the rows of model instances inserted by one statement
    written once for the model (every concrete column, values prepared as the ORM prepares them
    for saving: `get_db_prep_save`), where the ORM would compile its INSERT anew each time; on
    PostgreSQL, many rows at once by `COPY`. The instances carry their primary key, or the model's
    is an auto-increment one the database gives (and that is not read back); no signal is sent."""

    COPY_FROM = 20  # rows; fewer go by INSERT (a COPY's own round trips cost more for a few)

    def __init__(self, model: type[models.Model]):
        self.model = model
        pk = model._meta.pk
        self.auto_pk = isinstance(pk, models.AutoField)  # BigAutoField and SmallAutoField among them
        self.fields = [f for f in model._meta.concrete_fields if not (self.auto_pk and f is pk)]
        self.using: str = model._default_manager.db
        self._sql: str | None = None

    def _names(self) -> tuple[str, str]:
        q = connections[self.using].ops.quote_name
        return q(self.model._meta.db_table), ", ".join(q(f.column) for f in self.fields)

    def sql(self) -> str:
        if self._sql is None:
            table, columns = self._names()
            marks = ", ".join(["%s"] * len(self.fields))
            # names from the model's own fields; the values go as parameters
            self._sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        return self._sql

    def insert(self, objects: Sequence[models.Model]) -> None:
        if not objects:
            return
        if not self.auto_pk and any(obj.pk is None for obj in objects):
            raise ValueError(f"a {self.model.__name__} is inserted with its primary key set")
        connection = connections[self.using]
        rows = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in self.fields] for obj in objects
        ]
        with connection.cursor() as cursor:
            if len(rows) == 1:
                cursor.execute(self.sql(), rows[0])
            elif connection.vendor == "postgresql" and len(rows) >= self.COPY_FROM:
                table, columns = self._names()
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql(), rows)
        for obj in objects:
            obj._state.adding = False
            obj._state.db = self.using
