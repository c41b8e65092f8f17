-- A transferred report keeps how it came in (reports.channel) and the channel its
-- anonymous reporter left (issue 17): transfer_report as in 0022, plus those two. The
-- reporter is told of the transfer by the target command (tenants/reports/transfer.py).
GRANT SELECT, INSERT ON notification_channels TO jogo_transfer;

CREATE OR REPLACE FUNCTION transfer_report(
    p_source uuid, p_report uuid, p_target uuid, p_actor_name text, p_actor_id uuid,
    p_reason text, p_verify_due timestamptz, p_outside boolean,
    p_old_attachments uuid[], p_new_attachments uuid[], p_new_keys text[]
) RETURNS TABLE (ticket text, from_status text, category_code text, event_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    r          reports%ROWTYPE;
    v_code     text;
    v_category uuid;
    v_status   text;
    v_source   text;
    v_event    uuid := gen_random_uuid();
    v_ids      uuid[];
BEGIN
    IF p_source IS DISTINCT FROM jogo_current_tenant() THEN
        RAISE EXCEPTION 'reports move only out of the current tenant' USING ERRCODE = 'JG403';
    END IF;
    IF p_source = p_target THEN
        RAISE EXCEPTION 'the report is already in this command' USING ERRCODE = 'JG400';
    END IF;
    SELECT t.status INTO v_status FROM tenants t WHERE t.id = p_target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such command' USING ERRCODE = 'JG4T4';
    ELSIF v_status <> 'ACTIVE' THEN
        RAISE EXCEPTION 'the command is suspended' USING ERRCODE = 'JG4T9';
    END IF;
    SELECT t.name INTO v_source FROM tenants t WHERE t.id = p_source;
    -- The row lock makes parallel transfers of one report take turns: the second finds
    -- it gone (JG404).
    SELECT * INTO r FROM reports x WHERE x.tenant_id = p_source AND x.id = p_report FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'JG404';
    END IF;
    IF EXISTS (SELECT 1 FROM dispatches d WHERE d.tenant_id = p_source
                AND d.report_id = p_report AND d.status NOT IN ('RESOLVED', 'RETURNED', 'DEAD')) THEN
        RAISE EXCEPTION 'an agency dispatch is open' USING ERRCODE = 'JG409';
    END IF;
    IF r.status NOT IN ('SUBMITTED', 'VERIFIED') THEN
        RAISE EXCEPTION 'only SUBMITTED or VERIFIED reports move' USING ERRCODE = 'JG422';
    END IF;
    SELECT c.code INTO v_code FROM report_categories c
     WHERE c.tenant_id = p_source AND c.id = r.category_id;
    SELECT c.id INTO v_category FROM report_categories c
     WHERE c.tenant_id = p_target AND c.code = v_code AND c.is_active;
    IF v_category IS NULL THEN
        RAISE EXCEPTION '%', v_code USING ERRCODE = 'JG4C9';
    END IF;
    IF (SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}') FROM report_attachments a
         WHERE a.tenant_id = p_source AND a.report_id = p_report)
       IS DISTINCT FROM (SELECT coalesce(array_agg(x ORDER BY x), '{}')
                           FROM unnest(p_old_attachments) x) THEN
        RAISE EXCEPTION 'the photos changed' USING ERRCODE = 'JG4A9';
    END IF;

    -- The target gets it as a new case: SUBMITTED, its own verification clock, nobody
    -- assigned, no duplicate link or TPS (those were the source's).
    INSERT INTO reports (tenant_id, id, ticket, category_id, title, description, latitude,
        longitude, address, occurred_at, urgent, anonymous, pin_hash, reporter_user_id,
        reporter_name, reporter_phone, submitted_by, status, verify_due_at, created_at,
        updated_at, sos, outside_jurisdiction, channel)
    VALUES (p_target, r.id, r.ticket, v_category, r.title, r.description, r.latitude,
        r.longitude, r.address, r.occurred_at, r.urgent, r.anonymous, r.pin_hash,
        r.reporter_user_id, r.reporter_name, r.reporter_phone, r.submitted_by, 'SUBMITTED',
        p_verify_due, r.created_at, now(), r.sos, p_outside, r.channel);
    -- The channel an anonymous reporter left goes with the report (a signed-in
    -- reporter's own channels are set per command and stay where they are).
    INSERT INTO notification_channels (tenant_id, id, report_id, channel, address, locale,
        created_at)
    SELECT p_target, c.id, c.report_id, c.channel, c.address, c.locale, c.created_at
      FROM notification_channels c
     WHERE c.tenant_id = p_source AND c.report_id = p_report AND c.removed_at IS NULL;
    INSERT INTO report_events (tenant_id, id, report_id, kind, from_status, to_status, note,
        public, actor_id, actor_name, data, created_at)
    SELECT p_target, e.id, e.report_id, e.kind, e.from_status, e.to_status, e.note, e.public,
           e.actor_id, e.actor_name, e.data, e.created_at
      FROM report_events e WHERE e.tenant_id = p_source AND e.report_id = p_report;
    INSERT INTO report_events (tenant_id, id, report_id, kind, from_status, to_status, note,
        public, actor_id, actor_name, data)
    VALUES (p_target, v_event, p_report, 'TRANSFER', r.status, 'SUBMITTED',
        'Dialihkan dari ' || v_source || ' / Transferred from ' || v_source, true,
        p_actor_id, p_actor_name,
        jsonb_build_object('from_tenant', p_source, 'from_name', v_source, 'reason', p_reason));
    -- The reason, for the target's staff only.
    INSERT INTO report_events (tenant_id, report_id, kind, note, public, actor_id, actor_name,
        data)
    VALUES (p_target, p_report, 'NOTE', 'Alasan pengalihan / Reason for the transfer: '
        || p_reason, false, p_actor_id, p_actor_name, '{"transfer": true}');
    INSERT INTO report_attachments (tenant_id, id, report_id, content_type, size_bytes, sha256,
        storage_key, uploaded_by, created_at, cleaned)
    SELECT p_target, n.new_id, a.report_id, a.content_type, a.size_bytes, a.sha256, n.new_key,
           a.uploaded_by, a.created_at, a.cleaned
      FROM report_attachments a
      JOIN unnest(p_old_attachments, p_new_attachments, p_new_keys) AS n(old_id, new_id, new_key)
        ON n.old_id = a.id
     WHERE a.tenant_id = p_source AND a.report_id = p_report;

    -- The source keeps nothing of it: links to it are cut, its retries forgotten.
    SELECT array_agg(x) INTO v_ids FROM (
        SELECT p_report AS x
        UNION ALL SELECT e.id FROM report_events e
                   WHERE e.tenant_id = p_source AND e.report_id = p_report
        UNION ALL SELECT d.id FROM dispatches d
                   WHERE d.tenant_id = p_source AND d.report_id = p_report) ids;
    DELETE FROM idempotency_keys k WHERE k.tenant_id = p_source AND k.object_id = ANY(v_ids);
    UPDATE reports x SET duplicate_of = NULL
     WHERE x.tenant_id = p_source AND x.duplicate_of = p_report;
    UPDATE shared_posts s SET report_id = NULL
     WHERE s.tenant_id = p_source AND s.report_id = p_report;
    DELETE FROM dispatches d WHERE d.tenant_id = p_source AND d.report_id = p_report;
    DELETE FROM reports x WHERE x.tenant_id = p_source AND x.id = p_report;

    INSERT INTO report_transfers (ticket, report_id, from_tenant, to_tenant, from_status,
        reason, actor)
    VALUES (r.ticket, p_report, p_source, p_target, r.status, p_reason, p_actor_name);
    RETURN QUERY SELECT r.ticket, r.status, v_code, v_event;
END $$;
