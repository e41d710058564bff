"""Which accounts changed, not only that something changed: a visit logged after the compliance figures
were built makes that account's figures stale, not the whole month's (service_tiers/compliance.py).

Visits and other interactions, surveys, complaints, complaint deadlines (through their complaint) and
account statuses record the transaction id with each account they touch in
service_tiers_complianceaccountchange. Statement-level triggers with transition tables: one INSERT …
SELECT DISTINCT per statement, whatever the number of rows written (PostgreSQL allows transition tables
on one event per trigger, hence three triggers per table). A status change stays a row-level trigger
with a WHEN clause: it costs nothing on the far more frequent account updates that leave the status
alone, which a statement-level trigger with transition tables would copy row by row.

Service tiers, grade snapshots and grade overrides, and a TRUNCATE of any source, still record the
transaction alone in service_tiers_compliancechange (migration 0004): every account's figures are stale.
"""

from django.db import migrations

SOURCES = ("accounts_interaction", "accounts_satisfactionsurvey", "accounts_complaint")
DEADLINES = "service_tiers_complaintdeadline"

FUNCTIONS = """
CREATE TABLE service_tiers_complianceaccountchange (
    xid xid8 NOT NULL,
    account_id bigint NOT NULL,
    PRIMARY KEY (xid, account_id)
);

-- Record the accounts a statement changed under the writing transaction's id (once per account and
-- transaction). When the transaction has built figures itself (compliance_refresh sets
-- kam.compliance_built), those no longer hold: drop their refresh records.
CREATE FUNCTION service_tiers_compliance_accounts_note(account_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(cardinality(account_ids), 0) = 0 THEN
        RETURN;
    END IF;
    IF current_setting('kam.compliance_built', true) = 'yes' THEN
        DELETE FROM service_tiers_compliancerefresh;
        PERFORM set_config('kam.compliance_built', '', true);
    END IF;
    INSERT INTO service_tiers_complianceaccountchange (xid, account_id)
    SELECT pg_current_xact_id(), account_id FROM unnest(account_ids) AS changed(account_id)
    ON CONFLICT DO NOTHING;
END $$;

-- Interactions, surveys and complaints: their account_id, before and after.
CREATE FUNCTION service_tiers_compliance_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT account_id) INTO account_ids FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(account_id) INTO account_ids
        FROM (SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows) changed;
    ELSE
        SELECT array_agg(DISTINCT account_id) INTO account_ids FROM old_rows;
    END IF;
    PERFORM service_tiers_compliance_accounts_note(account_ids);
    RETURN NULL;
END $$;

-- Complaint deadlines: the account of their complaint. A deadline whose complaint is not there (only
-- possible inside a transaction, the foreign key being deferred) makes every account stale.
CREATE FUNCTION service_tiers_compliance_deadlines_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account_ids bigint[];
    orphans boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT c.account_id), bool_or(c.id IS NULL) INTO account_ids, orphans
        FROM new_rows d LEFT JOIN accounts_complaint c ON c.id = d.complaint_id;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT c.account_id), bool_or(c.id IS NULL) INTO account_ids, orphans
        FROM (SELECT complaint_id FROM new_rows UNION SELECT complaint_id FROM old_rows) d
        LEFT JOIN accounts_complaint c ON c.id = d.complaint_id;
    ELSE
        SELECT array_agg(DISTINCT c.account_id), bool_or(c.id IS NULL) INTO account_ids, orphans
        FROM old_rows d LEFT JOIN accounts_complaint c ON c.id = d.complaint_id;
    END IF;
    IF orphans THEN
        PERFORM service_tiers_compliance_note();
    END IF;
    PERFORM service_tiers_compliance_accounts_note(array_remove(account_ids, NULL));
    RETURN NULL;
END $$;

CREATE FUNCTION service_tiers_compliance_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_tiers_compliance_accounts_note(ARRAY[NEW.id]);
    RETURN NULL;
END $$;
"""


def _triggers(table: str, function: str) -> str:
    return f"""
CREATE TRIGGER compliance_accounts_inserted AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER compliance_accounts_updated AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER compliance_accounts_deleted AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER compliance_source_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION service_tiers_compliance_changed();
"""


def _drop_triggers(table: str) -> str:
    return f"""
DROP TRIGGER compliance_accounts_inserted ON {table};
DROP TRIGGER compliance_accounts_updated ON {table};
DROP TRIGGER compliance_accounts_deleted ON {table};
DROP TRIGGER compliance_source_truncated ON {table};
"""


FORWARD = (
    FUNCTIONS
    + "".join(f"DROP TRIGGER compliance_source_changed ON {table};" for table in SOURCES)
    + f"DROP TRIGGER compliance_source_added ON {DEADLINES};"
    + f"DROP TRIGGER compliance_source_changed ON {DEADLINES};"
    + "DROP TRIGGER compliance_status_changed ON accounts_account;"
    + "".join(_triggers(table, "service_tiers_compliance_rows_changed") for table in SOURCES)
    + _triggers(DEADLINES, "service_tiers_compliance_deadlines_changed")
    + """
CREATE TRIGGER compliance_status_changed AFTER UPDATE ON accounts_account
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION service_tiers_compliance_status_changed();
"""
)

# Back to migration 0004's triggers (every change makes every account stale).
BACKWARD = (
    "".join(_drop_triggers(table) for table in (*SOURCES, DEADLINES))
    + "DROP TRIGGER compliance_status_changed ON accounts_account;"
    + "".join(
        f"""CREATE TRIGGER compliance_source_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION service_tiers_compliance_changed();"""
        for table in SOURCES
    )
    + f"""
CREATE TRIGGER compliance_source_added AFTER INSERT ON {DEADLINES}
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION service_tiers_compliance_rows_added();
CREATE TRIGGER compliance_source_changed AFTER UPDATE OR DELETE OR TRUNCATE ON {DEADLINES}
    FOR EACH STATEMENT EXECUTE FUNCTION service_tiers_compliance_changed();
CREATE TRIGGER compliance_status_changed AFTER UPDATE ON accounts_account
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION service_tiers_compliance_changed();
DROP FUNCTION service_tiers_compliance_status_changed();
DROP FUNCTION service_tiers_compliance_deadlines_changed();
DROP FUNCTION service_tiers_compliance_rows_changed();
DROP FUNCTION service_tiers_compliance_accounts_note(bigint[]);
-- The figures were read with per-account staleness: make them stale as a whole.
DELETE FROM service_tiers_compliancerefresh;
DROP TABLE service_tiers_complianceaccountchange;
"""
)


class Migration(migrations.Migration):
    dependencies = [("service_tiers", "0005_compliance_figures_schedule")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
