"""Schema history. Never edit an applied migration: add a new one."""

from sqlite_utils.migrations import Migrations

migrations = Migrations("webapp")


def _run(db, *statements):
    """Run statements one by one: executescript() would commit the migration's transaction."""
    for statement in statements:
        db.execute(statement)


@migrations()
def create_accounts(db):
    """Users, roles, consents and server-side sessions."""
    _run(
        db,
        """create table users (
            id integer primary key,
            surname text not null,
            name text not null,
            patronymic text,
            birth_date text not null,
            snils_enc text not null,
            snils_bidx text not null unique,
            phone text not null unique,
            phone_confirmed_at text,
            email text not null unique,
            email_confirmed_at text,
            password_hash text,
            status text not null default 'pending'
            check (status in ('pending', 'active', 'blocked')),
            created_at text not null,
            updated_at text not null
            ) strict""",
        """create table user_roles (
            user_id integer not null references users(id) on delete cascade,
            role text not null check (role in ('worker', 'reviewer', 'orgadmin', 'admin')),
            primary key (user_id, role)
            ) strict, without rowid""",
        """create table consents (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            version text not null,
            accepted_at text not null,
            ip text
            ) strict""",
        """create index consents_user on consents(user_id)""",
        """create table sessions (
            id integer primary key,
            token_hash text not null unique,
            user_id integer references users(id) on delete cascade,
            created_at text not null,
            last_seen_at text not null,
            ip text,
            user_agent text,
            auth_level text,
            auth_at text,
            data text not null default '{}'
            ) strict""",
        """create index sessions_user on sessions(user_id, last_seen_at)""",
        """create index sessions_last_seen on sessions(last_seen_at)""",
    )


@migrations()
def create_codes_and_counters(db):
    """One-time SMS codes, per-factor failure counters, dev outboxes."""
    _run(
        db,
        """create table factor_failures (
            user_id integer not null references users(id) on delete cascade,
            factor text not null,
            count integer not null default 0,
            last_failure_at text,
            notified_at text,
            primary key (user_id, factor)
            ) strict, without rowid""",
        """create table sms_codes (
            id integer primary key,
            purpose text not null,
            phone text not null,
            user_id integer references users(id) on delete cascade,
            code_hash text not null,
            ip text,
            created_at text not null,
            expires_at text not null,
            attempts integer not null default 0,
            used_at text
            ) strict""",
        """create index sms_codes_phone on sms_codes(phone, created_at)""",
        """create index sms_codes_ip on sms_codes(ip, created_at)""",
        """create index sms_codes_created on sms_codes(created_at)""",
        """create table dev_outbox (
            id integer primary key,
            channel text not null check (channel in ('sms', 'email')),
            recipient text not null,
            subject text,
            body text not null,
            created_at text not null
            ) strict""",
    )


@migrations()
def create_audit_log(db):
    """Append-only audit log with indexes for the user's and the admin's views."""
    _run(
        db,
        """create table audit_log (
            id integer primary key,
            at text not null,
            actor_id integer,
            subject_user_id integer,
            action text not null,
            object_type text,
            object_id text,
            result text not null,
            ip text,
            user_agent text,
            details text
            ) strict""",
        """create index audit_subject on audit_log(subject_user_id, id)""",
        """create index audit_actor on audit_log(actor_id, id)""",
        """create index audit_action on audit_log(action, id)""",
        """create trigger audit_log_append_only_update before update on audit_log
            begin select raise(abort, 'audit log is append-only'); end""",
        """create trigger audit_log_append_only_delete before delete on audit_log
            begin select raise(abort, 'audit log is append-only'); end""",
    )


@migrations()
def create_sign_in_factors(db):
    """Passkeys, TOTP, recovery codes, SMS as a factor, known devices, notifications, recovery."""
    _run(
        db,
        "alter table users add column webauthn_handle text",
        "alter table users add column sms_factor_at text",
        "alter table users add column password_blocked_at text",
        "create unique index users_webauthn_handle on users(webauthn_handle)",
        """create table passkeys (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            credential_id text not null unique,
            public_key blob not null,
            sign_count integer not null default 0,
            transports text,
            aaguid text,
            backed_up integer not null default 0,
            name text not null,
            created_at text not null,
            last_used_at text
            ) strict""",
        "create index passkeys_user on passkeys(user_id)",
        """create table totp_secrets (
            user_id integer primary key references users(id) on delete cascade,
            secret_enc text not null,
            confirmed_at text,
            last_step integer not null default 0,
            created_at text not null
            ) strict""",
        """create table recovery_codes (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            code_hash text not null unique,
            created_at text not null,
            used_at text
            ) strict""",
        "create index recovery_codes_user on recovery_codes(user_id)",
        """create table known_devices (
            user_id integer not null references users(id) on delete cascade,
            device_hash text not null,
            first_seen_at text not null,
            last_seen_at text not null,
            primary key (user_id, device_hash)
            ) strict, without rowid""",
        """create table notifications (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            kind text not null,
            title text not null,
            body text not null,
            ip text,
            user_agent text,
            created_at text not null,
            read_at text
            ) strict""",
        "create index notifications_user on notifications(user_id, id)",
        """create table recovery_requests (
            id integer primary key,
            user_id integer references users(id) on delete set null,
            surname text not null,
            name text not null,
            patronymic text,
            contact text not null,
            details text,
            ip text,
            status text not null default 'waiting'
            check (status in ('waiting', 'approved', 'rejected')),
            created_at text not null,
            not_before text not null,
            handled_by integer references users(id),
            handled_at text,
            note text
            ) strict""",
        "create index recovery_requests_status on recovery_requests(status, id)",
    )


@migrations()
def keep_replaced_sessions_briefly(db):
    """A rotated-away session id stays known for a minute so late requests cannot clobber
    the new cookie."""
    _run(db, "alter table sessions add column replaced_at text")


@migrations()
def create_professional_record(db):
    """Personal data, contacts, employment, education, certificates, categories, НМО, reminders.

    Every credential row carries `source` and `verification` (DESIGN §5); dates are ISO text.
    """
    provenance = """source text not null default 'self'
            check (source in ('self', 'employer', 'regulator', 'import')),
            verification text not null default 'declared'
            check (verification in ('declared', 'confirmed', 'rejected')),
            rejection_reason text,
            created_at text not null,
            updated_at text not null"""
    _run(
        db,
        """create table person (
            user_id integer primary key references users(id) on delete cascade,
            sex text check (sex in ('m', 'f')),
            citizenship text,
            address text,
            inn_enc text,
            inn_bidx text unique,
            passport_enc text,
            passport_bidx text unique,
            passport_issued_on text,
            passport_issued_by text,
            passport_division_code text,
            extra_phone text,
            telegram text,
            max_messenger text,
            viber text,
            updated_at text not null
            ) strict""",
        """create table name_changes (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            old_surname text not null,
            old_name text not null,
            old_patronymic text,
            changed_on text not null,
            reason text not null,
            document_title text not null,
            created_at text not null
            ) strict""",
        "create index name_changes_user on name_changes(user_id, id)",
        """create table notification_prefs (
            user_id integer not null references users(id) on delete cascade,
            topic text not null check (topic in ('reminders', 'applications')),
            channel text not null check (channel in ('email', 'sms')),
            enabled integer not null,
            primary key (user_id, topic, channel)
            ) strict, without rowid""",
        f"""create table employments (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            org_name text not null,
            org_inn text not null,
            org_ogrn text,
            org_oktmo text not null,
            org_address text,
            department text,
            position text not null,
            specialty text,
            rate real not null check (rate > 0 and rate <= 2),
            kind text not null check (kind in ('main', 'external', 'internal')),
            start_date text not null,
            end_date text check (end_date is null or end_date >= start_date),
            document_kind text check (document_kind in ('order', 'contract', 'std_r')),
            document_number text,
            document_date text,
            {provenance}
            ) strict""",
        "create index employments_user on employments(user_id, start_date)",
        f"""create table educations (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            kind text not null check (kind in
                ('higher', 'secondary', 'internship', 'residency', 'postgraduate', 'pk', 'pp')),
            organization text not null,
            program text not null,
            start_date text,
            end_date text not null check (start_date is null or end_date >= start_date),
            doc_series text,
            doc_number text not null,
            hours integer check (hours is null or hours between 1 and 3000),
            study_form text check (study_form in ('full', 'remote', 'mixed')),
            {provenance}
            ) strict""",
        "create index educations_user on educations(user_id, end_date)",
        f"""create table certificates (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            kind text not null check (kind in
                ('certificate', 'primary', 'primary_special', 'periodic')),
            specialty text not null,
            number text not null,
            issued_on text not null,
            valid_until text not null check (valid_until > issued_on),
            {provenance}
            ) strict""",
        "create index certificates_user on certificates(user_id, valid_until)",
        f"""create table categories (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            specialty text not null,
            category text not null check (category in ('second', 'first', 'highest')),
            assigned_on text not null,
            valid_until text not null check (valid_until > assigned_on),
            order_number text,
            {provenance}
            ) strict""",
        "create index categories_user on categories(user_id, valid_until)",
        f"""create table nmo_entries (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            specialty text not null,
            day text not null,
            element text not null check (element in ('course', 'event', 'module')),
            title text not null,
            provider text,
            zet integer not null check (zet between 1 and 500),
            confirmation_code text,
            {provenance}
            ) strict""",
        "create index nmo_entries_user on nmo_entries(user_id, day)",
        """create unique index nmo_entries_code on nmo_entries(user_id, confirmation_code)
            where confirmation_code is not null""",
        """create table reminders (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            reminder_key text not null,
            due_on text not null,
            claimed_at text not null,
            claimed_by text not null,
            sent_at text,
            error text,
            unique (user_id, reminder_key)
            ) strict""",
    )


@migrations()
def create_documents(db):
    """Documents with their versions (files live encrypted in storage) and upload idempotency."""
    _run(
        db,
        """create table documents (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            doc_type text not null check (doc_type in ('passport', 'snils', 'diploma',
                'pk_certificate', 'pp_diploma', 'specialist_certificate', 'accreditation',
                'work_record', 'activity_report', 'name_change', 'other')),
            title text,
            holder_name text,
            issued_on text,
            valid_until text check (valid_until is null or issued_on is null
                or valid_until > issued_on),
            status text not null default 'uploaded'
            check (status in ('uploaded', 'accepted', 'needs_fix')),
            remark text,
            linked_kind text check (linked_kind in
                ('employment', 'education', 'certificate', 'category', 'nmo')),
            linked_id integer,
            created_at text not null,
            updated_at text not null
            ) strict""",
        "create index documents_user on documents(user_id, doc_type, id)",
        """create table document_versions (
            id integer primary key,
            document_id integer not null references documents(id) on delete cascade,
            number integer not null,
            file_key text not null,
            original_key text,
            thumb_key text,
            mime text not null,
            pages integer not null check (pages between 1 and 100),
            size integer not null,
            sha256 text not null,
            created_at text not null,
            unique (document_id, number)
            ) strict""",
        """create table uploads (
            idempotency_key text primary key,
            user_id integer not null references users(id) on delete cascade,
            body_sha256 text not null,
            state text not null check (state in ('in_flight', 'done')),
            document_id integer references documents(id) on delete set null,
            version integer,
            created_at text not null
            ) strict""",
        "create index uploads_created on uploads(created_at)",
    )


@migrations()
def add_user_time_zone(db):
    """Times are shown, and «today» counted, in each person's time zone (DESIGN §5)."""
    _run(db, "alter table users add column time_zone text not null default 'Europe/Moscow'")


@migrations()
def employer_identifiers_optional(db):
    """A worker names the organisation; its ИНН and ОКТМО may come later, from the HR admin.

    SQLite cannot drop NOT NULL in place: the table is rebuilt with the same columns and checks.
    """
    provenance = """source text not null default 'self'
            check (source in ('self', 'employer', 'regulator', 'import')),
            verification text not null default 'declared'
            check (verification in ('declared', 'confirmed', 'rejected')),
            rejection_reason text,
            created_at text not null,
            updated_at text not null"""
    columns = (
        "id, user_id, org_name, org_inn, org_ogrn, org_oktmo, org_address, department, position, "
        "specialty, rate, kind, start_date, end_date, document_kind, document_number, "
        "document_date, source, verification, rejection_reason, created_at, updated_at"
    )
    _run(
        db,
        f"""create table employments_new (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            org_name text not null,
            org_inn text,
            org_ogrn text,
            org_oktmo text,
            org_address text,
            department text,
            position text not null,
            specialty text,
            rate real not null check (rate > 0 and rate <= 2),
            kind text not null check (kind in ('main', 'external', 'internal')),
            start_date text not null,
            end_date text check (end_date is null or end_date >= start_date),
            document_kind text check (document_kind in ('order', 'contract', 'std_r')),
            document_number text,
            document_date text,
            {provenance}
            ) strict""",
        f"insert into employments_new ({columns}) select {columns} from employments",  # noqa: S608
        "drop table employments",
        "alter table employments_new rename to employments",
        "create index employments_user on employments(user_id, start_date)",
        "create index employments_org on employments(org_inn, verification)",
    )


@migrations()
def create_applications(db):
    """Applications (one engine, the kind is data), their timeline, the files attached at each
    submission, the yearly number counter, and the production calendar's override days."""
    _run(
        db,
        """create table applications (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            kind text not null,
            specialty text,
            region text,
            state text not null default 'draft',
            number text unique,
            data text not null default '{}',
            revision integer not null default 1,
            signed_hash text,
            signed_factor text check (signed_factor in ('passkey', 'sms')),
            signed_at text,
            signature text,
            assignee_id integer references users(id) on delete set null,
            stage_started text,
            stage_deadline text,
            queue_deadline text,
            exams text,
            decision_protocol text,
            decision_date text,
            record_id integer,
            result_token text unique,
            result_key text,
            result_sha256 text,
            result_valid_until text,
            revoked_at text,
            created_at text not null,
            updated_at text not null,
            submitted_at text
            ) strict""",
        "create index applications_user on applications(user_id, id)",
        # The reviewers' queue: only open applications carry queue_deadline.
        """create index applications_queue on applications(queue_deadline, id)
            where queue_deadline is not null""",
        """create index applications_queue_state on applications(state, queue_deadline, id)
            where queue_deadline is not null""",
        """create index applications_queue_kind on applications(kind, queue_deadline, id)
            where queue_deadline is not null""",
        """create index applications_queue_specialty on applications(specialty, queue_deadline, id)
            where queue_deadline is not null""",
        """create index applications_queue_region on applications(region, queue_deadline, id)
            where queue_deadline is not null""",
        """create index applications_queue_assignee on applications(assignee_id, queue_deadline, id)
            where queue_deadline is not null""",
        """create table application_events (
            id integer primary key,
            application_id integer not null references applications(id) on delete cascade,
            at text not null,
            actor_id integer references users(id) on delete set null,
            actor_role text not null check (actor_role in ('worker', 'reviewer', 'system')),
            action text not null,
            from_state text,
            to_state text not null,
            comment text
            ) strict""",
        "create index application_events_application on application_events(application_id, id)",
        """create table application_files (
            id integer primary key,
            application_id integer not null references applications(id) on delete cascade,
            round integer not null,
            doc_type text not null,
            document_id integer references documents(id) on delete set null,
            version integer,
            title text not null,
            file_key text not null,
            mime text not null,
            pages integer not null,
            size integer not null,
            sha256 text not null,
            verdict text not null default 'pending'
            check (verdict in ('pending', 'accepted', 'needs_fix')),
            reason text,
            verdict_by integer references users(id) on delete set null,
            verdict_at text
            ) strict""",
        "create index application_files_application on application_files(application_id, round)",
        "create index application_files_document on application_files(document_id)",
        """create table application_numbers (
            year integer primary key,
            last integer not null
            ) strict""",
        """create table calendar_overrides (
            day text primary key,
            kind text not null check (kind in ('holiday', 'workday', 'short')),
            note text
            ) strict""",
        # A notice about an application opens it.
        "alter table notifications add column link text",
    )


@migrations()
def seed_calendar_overrides(db):
    """The production calendar's days the `holidays` package lacks, 2025–2027: the shortened
    pre-holiday working days (Labour Code art. 95). The package already has every transferred
    day off of these years and the working Saturdays (2025-11-01, 2027-02-20); those two are
    also shortened, and 'short' is a working day, so each is one 'short' row."""
    rows = (
        # Decree No. 1335 of 04.10.2024 «О переносе выходных дней в 2025 году»: before 8 March.
        ("2025-03-07", "Сокращённый предпраздничный день (перед 8 Марта)"),
        # Decree No. 1335 of 04.10.2024: before 1 May (2 May is a day off moved from 4 January).
        ("2025-04-30", "Сокращённый предпраздничный день (перед 1 Мая)"),
        # Decree No. 1335 of 04.10.2024: before Russia Day (13 June is moved from 8 March).
        ("2025-06-11", "Сокращённый предпраздничный день (перед Днём России)"),
        # Decree No. 1335 of 04.10.2024: working Saturday, its day off moved to 3 November.
        ("2025-11-01", "Рабочая суббота, сокращённая (выходной перенесён на 3 ноября)"),
        # Decree No. 1466 of 24.09.2025 «О переносе выходных дней в 2026 году»: before 1 May.
        ("2026-04-30", "Сокращённый предпраздничный день (перед 1 Мая)"),
        # Decree No. 1466 of 24.09.2025: before Victory Day (a Saturday; 11 May is off).
        ("2026-05-08", "Сокращённый предпраздничный день (перед Днём Победы)"),
        # Decree No. 1466 of 24.09.2025: before Russia Day.
        ("2026-06-11", "Сокращённый предпраздничный день (перед Днём России)"),
        # Decree No. 1466 of 24.09.2025: before Unity Day.
        ("2026-11-03", "Сокращённый предпраздничный день (перед Днём народного единства)"),
        # Decree No. 1187 of 17.09.2026 «О переносе выходных дней в 2027 году»: working
        # Saturday, its day off moved to 22 February, before 23 February.
        ("2027-02-20", "Рабочая суббота, сокращённая (выходной перенесён на 22 февраля)"),
        # Decree No. 1187 of 17.09.2026: before 1 May (a Saturday; 3 May is off).
        ("2027-04-30", "Сокращённый предпраздничный день (перед 1 Мая)"),
        # Decree No. 1187 of 17.09.2026: before Russia Day (a Saturday; 14 June is off).
        ("2027-06-11", "Сокращённый предпраздничный день (перед Днём России)"),
        # Decree No. 1187 of 17.09.2026: before Unity Day (5 November is moved from 2 January).
        ("2027-11-03", "Сокращённый предпраздничный день (перед Днём народного единства)"),
    )
    for day, note in rows:
        db.execute(
            "insert or ignore into calendar_overrides (day, kind, note) values (?, 'short', ?)",
            [day, note],
        )


@migrations()
def create_push_subscriptions(db):
    """Web Push subscriptions: one row per browser (its endpoint is unique), the keys its pushes
    are encrypted for, and a short device name for the list in the notification settings."""
    _run(
        db,
        """create table push_subscriptions (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            endpoint text not null unique,
            p256dh text not null,
            auth text not null,
            device text not null,
            created_at text not null,
            last_used_at text
            ) strict""",
        "create index push_subscriptions_user on push_subscriptions(user_id, id)",
    )


@migrations()
def allow_push_in_notification_prefs(db):
    """Reminders and application news may also go by push.

    SQLite cannot change a CHECK in place: the table is rebuilt with the same rows."""
    _run(
        db,
        """create table notification_prefs_new (
            user_id integer not null references users(id) on delete cascade,
            topic text not null check (topic in ('reminders', 'applications')),
            channel text not null check (channel in ('email', 'sms', 'push')),
            enabled integer not null,
            primary key (user_id, topic, channel)
            ) strict, without rowid""",
        "insert into notification_prefs_new (user_id, topic, channel, enabled) "
        "select user_id, topic, channel, enabled from notification_prefs",
        "drop table notification_prefs",
        "alter table notification_prefs_new rename to notification_prefs",
    )


@migrations()
def remember_who_claims_an_upload(db):
    """The process holding an upload's idempotency key, so a retry after that process was
    killed takes the key over at once instead of waiting out the grace period."""
    _run(db, "alter table uploads add column claimed_by text")


@migrations()
def create_deliveries(db):
    """Each notice's outside messages (e-mail, SMS, one push per device), rendered when the
    notice is made and sent by the job queue: claimed before sending, so each goes once."""
    _run(
        db,
        """create table deliveries (
            id integer primary key,
            notification_id integer not null references notifications(id) on delete cascade,
            user_id integer not null references users(id) on delete cascade,
            channel text not null check (channel in ('email', 'sms', 'push')),
            recipient text not null,
            subject text,
            body text not null,
            meta text,
            status text not null default 'pending'
                check (status in ('pending', 'sending', 'sent', 'failed', 'gone')),
            attempts integer not null default 0,
            next_at text not null,
            claimed_by text,
            claimed_at text,
            sent_at text,
            error text,
            created_at text not null
            ) strict""",
        "create index deliveries_due on deliveries(next_at) where status = 'pending'",
        "create index deliveries_sending on deliveries(claimed_at) where status = 'sending'",
        "create index deliveries_notification on deliveries(notification_id)",
    )


@migrations()
def index_applications_awaiting_result(db):
    """The decided applications whose выписка the job queue has still to make (a few at most)."""
    _run(
        db,
        """create index applications_awaiting_result on applications(id)
            where result_token is not null and result_key is null""",
    )
