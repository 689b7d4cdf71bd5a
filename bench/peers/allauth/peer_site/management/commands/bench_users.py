"""``manage.py bench_users --count N --password P``: the bench's accounts, as sign-up leaves
them (a user and its primary, confirmed e-mail address), hashed by the configured hasher."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create shopper1@example.com ... shopperN@example.com with one password."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, count, password, **options):
        users = get_user_model()
        with transaction.atomic():
            for n in range(1, count + 1):
                email = f"shopper{n}@example.com"
                user = users(username=f"shopper{n}", email=email)
                user.set_password(password)
                user.save()
                EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        self.stdout.write(f"created {count} users")
