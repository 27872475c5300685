import factory
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from connector.roles import CONNECTOR_ADMINS, CUSTOMER_SERVICE, sync_roles
from panel import actions

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            if not Group.objects.filter(name=extracted).exists():
                # Transactional tests flush the groups the migration made.
                sync_roles(django_apps)
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


def make_admin(**kw):
    return UserFactory(role=CONNECTOR_ADMINS, **kw)


def make_cs(**kw):
    return UserFactory(role=CUSTOMER_SERVICE, **kw)


SECRETS = {
    "shopify_access_token": "shpat_TOPSECRET_access_token_0001",
    "shopify_webhook_secret": "whsec_TOPSECRET_webhook_0002",
    "netsuite_consumer_key": "ck_TOPSECRET_consumer_key_0003",
    "netsuite_consumer_secret": "cs_TOPSECRET_consumer_secret_0004",
    "netsuite_token_id": "tid_TOPSECRET_token_id_0005",
    "netsuite_token_secret": "ts_TOPSECRET_token_secret_0006",
}

_seq = iter(range(1, 10**6))


def make_connector(user=None, secrets=None, options=None, **fields):
    n = next(_seq)
    values = {
        "name": f"Store {n}",
        "shopify_shop_domain": f"store-{n}.myshopify.com",
        "netsuite_account_id": f"{1000000 + n}_SB1",
    }
    values.update(fields)
    return actions.create_connector(
        user or make_admin(),
        values,
        secrets=SECRETS if secrets is None else secrets,
        options=options,
    )
