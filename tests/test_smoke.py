from tests.conftest import RunningServer


def test_healthz_answers_without_a_key(server: RunningServer) -> None:
    with server.client(key=None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_healthz_is_503_once_the_store_stops_answering(server: RunningServer) -> None:
    server.server.config.app.state.limelight.store.close()  # as after a fatal write error
    with server.client(key=None) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["error"]
