"""The "Support staff" group: its members may read the request log (support.view_apicall).

An administrator makes someone support staff by adding their local user to this group.
"""

from django.db import migrations

GROUP = "Support staff"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # Permissions are normally created after migrate; make sure this one exists already.
    content_type, _ = ContentType.objects.get_or_create(app_label="support", model="apicall")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_apicall", defaults={"name": "Can view API call"}
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_lifecycle_events"),
        ("support", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
