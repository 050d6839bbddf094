-- A generation number per capability that moves whenever capacity of that capability may have
-- grown or its slots or factories changed, by any writer, and a log of what changed at each
-- generation. Order placement keeps the capability's slots in memory and books with one
-- statement that also checks the generation it planned with is still current: if capacity was
-- freed, raised, repriced or a factory edited meanwhile, nothing is written, the copy catches
-- up from the log (or is read again) and the plan is made afresh. New allocations and lowered
-- capacity only take room away and do not move it: the booking statement itself re-checks the
-- free units of every slot it books, under row locks.
--
-- Bumping a generation locks its row until COMMIT, so the generations of one capability are
-- committed in increasing order: a reader that sees generation G sees every log row up to G
-- and none after it.
CREATE TABLE capability_generations (
    capability  text PRIMARY KEY,
    generation  bigint NOT NULL DEFAULT 1
);

-- At least one row per generation: a slot whose figures changed (free units, units or unit
-- cost), or NULL when more than slot figures changed (slots added or removed, a factory or a
-- setup cost edited) and readers must read the capability again.
CREATE TABLE capacity_changes (
    capability  text NOT NULL,
    generation  bigint NOT NULL,
    slot_id     bigint
);
CREATE INDEX capacity_changes_by_generation ON capacity_changes (capability, generation);

-- Moves one capability's generation and returns it. The log keeps the last 1,000 generations;
-- a reader further behind reads everything again.
CREATE FUNCTION weft_bump_generation(cap text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    g bigint;
BEGIN
    INSERT INTO capability_generations AS cg (capability) VALUES (cap)
    ON CONFLICT (capability) DO UPDATE SET generation = cg.generation + 1
    RETURNING cg.generation INTO g;
    DELETE FROM capacity_changes WHERE capability = cap AND generation < g - 1000;
    RETURN g;
END $$;

-- More than slot figures changed: a generation each, logged as "read everything again".
-- Sorted, so that two transactions bumping the same capabilities lock them in one order.
CREATE FUNCTION weft_capacity_reshaped(capabilities text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    FOR c IN SELECT DISTINCT x FROM unnest(capabilities) AS x WHERE x IS NOT NULL ORDER BY 1 LOOP
        INSERT INTO capacity_changes (capability, generation, slot_id) VALUES (c, weft_bump_generation(c), NULL);
    END LOOP;
END $$;

CREATE FUNCTION weft_slots_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_capacity_reshaped(ARRAY(SELECT DISTINCT capability FROM new_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION weft_slots_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_capacity_reshaped(ARRAY(SELECT DISTINCT capability FROM old_rows));
    RETURN NULL;
END $$;

-- A row trigger whose WHEN clause the executor evaluates without calling any function: an
-- order's booking (only `allocated` rising) costs nothing here. A change that can make room
-- (fewer allocated units, more units) or reprices a slot moves the generation once per
-- capability and transaction, and logs the slot.
CREATE FUNCTION weft_slot_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    setting text := 'weft.generation.' || NEW.capability;
    mark text := current_setting(setting, true);
    g bigint;
BEGIN
    IF NEW.capability <> OLD.capability OR NEW.factory_id <> OLD.factory_id OR NEW.day <> OLD.day THEN
        PERFORM weft_capacity_reshaped(ARRAY[OLD.capability, NEW.capability]);
        RETURN NULL;
    END IF;
    IF mark IS NOT NULL AND split_part(mark, ':', 1) = txid_current()::text THEN
        g := split_part(mark, ':', 2)::bigint;
    ELSE
        g := weft_bump_generation(NEW.capability);
        PERFORM set_config(setting, txid_current()::text || ':' || g, true);
    END IF;
    INSERT INTO capacity_changes (capability, generation, slot_id) VALUES (NEW.capability, g, NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER capacity_slots_inserted AFTER INSERT ON capacity_slots
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_slots_inserted();
CREATE TRIGGER capacity_slots_deleted AFTER DELETE ON capacity_slots
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_slots_deleted();
CREATE TRIGGER capacity_slots_changed AFTER UPDATE ON capacity_slots FOR EACH ROW
    WHEN (NEW.allocated < OLD.allocated OR NEW.units > OLD.units OR NEW.unit_cost <> OLD.unit_cost
          OR NEW.day <> OLD.day OR NEW.factory_id <> OLD.factory_id OR NEW.capability <> OLD.capability)
    EXECUTE FUNCTION weft_slot_changed();

-- Setup costs and the capabilities a factory offers.
CREATE FUNCTION weft_factory_capabilities_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM weft_capacity_reshaped(ARRAY(SELECT capability FROM old_rows));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM weft_capacity_reshaped(ARRAY(SELECT capability FROM new_rows));
    ELSE
        PERFORM weft_capacity_reshaped(ARRAY(SELECT capability FROM new_rows UNION SELECT capability FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER factory_capabilities_inserted AFTER INSERT ON factory_capabilities
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_factory_capabilities_changed();
CREATE TRIGGER factory_capabilities_deleted AFTER DELETE ON factory_capabilities
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_factory_capabilities_changed();
CREATE TRIGGER factory_capabilities_updated AFTER UPDATE ON factory_capabilities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_factory_capabilities_changed();

-- A factory's activity, region, certifications and lead time decide eligibility for all its
-- capabilities.
CREATE FUNCTION weft_factories_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_capacity_reshaped(ARRAY(
        SELECT fc.capability FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN factory_capabilities fc ON fc.factory_id = n.id
         WHERE n.active <> o.active OR n.region <> o.region OR n.certifications <> o.certifications
            OR n.lead_days <> o.lead_days));
    RETURN NULL;
END $$;

CREATE TRIGGER factories_updated AFTER UPDATE ON factories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_factories_updated();
