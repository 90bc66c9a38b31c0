from tests.support import factories


def test_own_organisation_page(auth, people):
    auth.login(people.handlaggare.username)
    response = auth.client.get("/organisation/EÅV")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enskede-Årsta-Vantörs stadsdelsnämnd" in html and "Jenny Johansson" in html


def test_another_organisations_page_is_not_found(app, auth, people):
    with app.app_context():
        other = factories.organisation(
            "SÖ", name="Södermalms stadsdelsförvaltning", board="Södermalms stadsdelsnämnd"
        )
        stranger = factories.user(other, "avdelningschef", full_name="Sara Söder")
    auth.login(stranger.username)
    response = auth.client.get("/organisation/EÅV")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Sidan finns inte" in html and "Jenny Johansson" not in html
    assert auth.client.get("/organisation/SÖ").status_code == 200
