-- A generation number per capability that changes whenever capacity of that capability may
-- have grown or its slots or factories changed in any way, by any writer. Order placement
-- keeps the capability's slots in memory and books with one statement that also checks the
-- generation it planned with is still current: if capacity was freed, raised, repriced or a
-- factory edited meanwhile, nothing is written and the plan is made again from fresh figures.
-- New allocations (capacity only shrinking) do not change it: the booking statement itself
-- re-checks the free units of every slot it books, under row locks.
CREATE TABLE capability_generations (
    capability  text PRIMARY KEY,
    generation  bigint NOT NULL DEFAULT 1
);

CREATE FUNCTION weft_bump_generations(capabilities text[]) RETURNS void LANGUAGE sql AS $$
    -- Sorted, so that two transactions bumping the same capabilities lock them in one order.
    INSERT INTO capability_generations AS g (capability)
    SELECT DISTINCT c FROM unnest(capabilities) AS c WHERE c IS NOT NULL ORDER BY 1
    ON CONFLICT (capability) DO UPDATE SET generation = g.generation + 1;
$$;

CREATE FUNCTION weft_slots_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_bump_generations(ARRAY(SELECT DISTINCT capability FROM new_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION weft_slots_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM weft_bump_generations(ARRAY(SELECT DISTINCT capability FROM old_rows));
    RETURN NULL;
END $$;

-- A row trigger whose WHEN clause the executor evaluates without calling any function: an
-- order's booking (only `allocated` rising) costs nothing here. Only a change that can make
-- room (fewer allocated units, more units) or changes what a slot is (price, day, factory,
-- capability) moves the generation, once per capability and transaction. Fewer units only
-- take room away, like a booking: the booking statement's own check covers that.
CREATE FUNCTION weft_slot_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('weft.bumped.' || NEW.capability, true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM weft_bump_generations(ARRAY[NEW.capability]);
        PERFORM set_config('weft.bumped.' || NEW.capability, txid_current()::text, true);
    END IF;
    IF NEW.capability <> OLD.capability THEN
        PERFORM weft_bump_generations(ARRAY[OLD.capability]);
    END IF;
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
        PERFORM weft_bump_generations(ARRAY(SELECT capability FROM old_rows));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM weft_bump_generations(ARRAY(SELECT capability FROM new_rows));
    ELSE
        PERFORM weft_bump_generations(ARRAY(SELECT capability FROM new_rows UNION SELECT capability FROM old_rows));
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
    PERFORM weft_bump_generations(ARRAY(
        SELECT fc.capability FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN factory_capabilities fc ON fc.factory_id = n.id
         WHERE n.active <> o.active OR n.region <> o.region OR n.certifications <> o.certifications
            OR n.lead_days <> o.lead_days));
    RETURN NULL;
END $$;

CREATE TRIGGER factories_updated AFTER UPDATE ON factories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_factories_updated();
