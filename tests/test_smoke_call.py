from sqlalchemy import select

from db.models import Call


def test_a_reported_call_is_logged(place_call, engine):
    result = place_call("1", "3", "1", "r30", "2")
    assert len(result.recordings) == 1
    with engine.connect() as connection:
        outcome = connection.execute(select(Call.outcome)).scalar_one()
    assert outcome == "reported"
