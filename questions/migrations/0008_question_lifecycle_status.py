"""Questions get a lifecycle status (draft → in review → published → retired) in place of is_active.

Existing rows map is_active=True → published and False → retired, so visitors see exactly what
they saw before. Also: the "edited in the admin" mark that load_bank respects, and revisions.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def status_from_is_active(apps, schema_editor):
    Question = apps.get_model("questions", "Question")
    Question.objects.filter(is_active=True).update(status="published")
    Question.objects.filter(is_active=False).update(status="retired")


def is_active_from_status(apps, schema_editor):
    # Only published questions were visible; drafts and queued ones must stay hidden after a rollback.
    Question = apps.get_model("questions", "Question")
    Question.objects.update(is_active=False)
    Question.objects.filter(status="published").update(is_active=True)


class Migration(migrations.Migration):

    dependencies = [
        ('questions', '0007_answer_text_formula_marks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='question',
            options={'ordering': ['topic__order', 'order', 'title'], 'permissions': [('submit_question', 'Can submit a draft question for review'), ('publish_question', 'Can publish, send back and retire questions')]},
        ),
        migrations.AddField(
            model_name='question',
            name='edited_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='question',
            name='edited_base_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='question',
            name='edited_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='question',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('review', 'In review'), ('published', 'Published'), ('retired', 'Retired')], db_index=True, default='published', help_text='Only published questions are shown to visitors; retired ones keep their quiz history.', max_length=10),
        ),
        migrations.RunPython(status_from_is_active, is_active_from_status),
        migrations.RemoveField(
            model_name='question',
            name='is_active',
        ),
        migrations.CreateModel(
            name='Revision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('snapshot', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('status_before', models.CharField(blank=True, choices=[('draft', 'Draft'), ('review', 'In review'), ('published', 'Published'), ('retired', 'Retired')], max_length=10)),
                ('status_after', models.CharField(choices=[('draft', 'Draft'), ('review', 'In review'), ('published', 'Published'), ('retired', 'Retired')], max_length=10)),
                ('summary', models.CharField(blank=True, max_length=300)),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='questions.question')),
            ],
            options={
                'ordering': ['question', '-number'],
                'constraints': [models.UniqueConstraint(fields=('question', 'number'), name='unique_revision_number')],
            },
        ),
    ]
