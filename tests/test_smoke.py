from tests.conftest import RunningServer


def test_healthz_answers_without_a_key(server: RunningServer) -> None:
    with server.client(key=None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
