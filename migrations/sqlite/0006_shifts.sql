-- Each manager's shift state, kept by the shifts projection from the Shift aggregate's
-- events: who is on shift now and since when (the router's choice, `GET /api/shifts`).
-- A manager's open orders are counted in `order_counts` (scope 'manager:<uuid>').
-- Portable types only (the same text serves both backends).
CREATE TABLE manager_shifts
(
    manager_id     text PRIMARY KEY,
    on_shift       boolean NOT NULL,
    -- RFC 3339; null when off shift
    on_shift_since text,
    last_ended_at  text,
    shifts_started bigint  NOT NULL
);
CREATE INDEX manager_shifts_on_shift ON manager_shifts (on_shift);
