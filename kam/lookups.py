"""``field__any=[ids]``: ``field = ANY(%s)`` with the list as ONE array parameter.

``field__in=[...]`` writes one placeholder per value: with the 17k account ids of a large book the
statement takes longer to parse and plan than to run. An array parameter is one value, and PostgreSQL
estimates ``= ANY(array)`` from the array's length, which is what a resolved scope is for.
"""

from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        values = [self.lhs.output_field.get_db_prep_value(item, connection) for item in value]
        return "%s", [values]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
