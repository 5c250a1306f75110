from core.models.org import Office


def test_login_page_is_persian_rtl(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "ورود" in html


def test_database_round_trip(db):
    db.session.add(Office(name="دفتر آزمایشی"))
    db.session.commit()
    assert db.session.query(Office).count() == 1


def test_tables_are_emptied_between_tests(db):
    assert db.session.query(Office).count() == 0
