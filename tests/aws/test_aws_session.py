"""The one AWS session: its clients refuse every write before it is sent (checked against moto's
server).
"""

from __future__ import annotations

import pytest

from tests.aws_server import DUMMY_ENV, FaultProxy, aws, client, free_port, moto_endpoint  # noqa: F401

pytestmark = pytest.mark.moto


def test_clients_refuse_writes_before_sending(aws: str) -> None:  # noqa: F811
    from nhi_toolkit.aws.session import AwsOptions, AwsSession, WriteRefused

    proxy = FaultProxy(aws, lambda a: None).start()
    try:
        session = AwsSession(AwsOptions(endpoint_url=proxy.url, region="us-east-1"))
        iam = session.client("iam")
        with pytest.raises(WriteRefused):
            iam.create_user(UserName="x")
        with pytest.raises(WriteRefused):
            session.client("s3").put_object(Bucket="b", Key="k", Body=b"x")
        assert iam.list_users()["Users"] == []
    finally:
        proxy.stop()
    assert proxy.requests == ["ListUsers"]
