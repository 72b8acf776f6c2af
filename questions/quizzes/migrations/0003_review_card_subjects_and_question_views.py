"""Review cards name their subject (a question, a quiz item, later an exercise); question views are recorded.

Existing cards were all about a question: they become subject "question" with that question's id.
Learning steps (issue 14) need no schema change: the step lives in the stored FSRS state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def cards_were_questions(apps, schema_editor):
    ReviewCard = apps.get_model("quizzes", "ReviewCard")
    ReviewCard.objects.update(subject="question", object_id=models.F("question_id"))


class Migration(migrations.Migration):

    dependencies = [
        ('questions', '0006_shuffle_stored_choice_order'),
        ('quizzes', '0002_alter_slot_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='QuestionView',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('anon_key', models.CharField(blank=True, db_index=True, max_length=64)),
                ('first_seen', models.DateTimeField()),
                ('last_seen', models.DateTimeField(db_index=True)),
                ('views', models.PositiveIntegerField(default=1)),
            ],
            options={
                'ordering': ['-last_seen'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='reviewcard',
            name='unique_card_per_user',
        ),
        migrations.RemoveConstraint(
            model_name='reviewcard',
            name='unique_card_per_visitor',
        ),
        migrations.AddField(
            model_name='reviewcard',
            name='object_id',
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='reviewcard',
            name='subject',
            field=models.CharField(default='question', max_length=20),
        ),
        migrations.RunPython(cards_were_questions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='reviewcard',
            name='question',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='questions.question'),
        ),
        migrations.AlterField(
            model_name='reviewlog',
            name='reviewed_at',
            field=models.DateTimeField(db_index=True),
        ),
        migrations.AlterField(
            model_name='reviewlog',
            name='source',
            field=models.CharField(choices=[('quiz', 'Quiz result'), ('self', 'Self-rating on the question page'), ('review', 'Review session'), ('exercise', 'Solved exercise')], max_length=10),
        ),
        migrations.AddConstraint(
            model_name='reviewcard',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('user', 'subject', 'object_id'), name='unique_card_subject_per_user'),
        ),
        migrations.AddConstraint(
            model_name='reviewcard',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', True)), fields=('anon_key', 'subject', 'object_id'), name='unique_card_subject_per_visitor'),
        ),
        migrations.AddField(
            model_name='questionview',
            name='question',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='questions.question'),
        ),
        migrations.AddField(
            model_name='questionview',
            name='user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='question_views', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='questionview',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', False)), fields=('user', 'question'), name='unique_view_per_user'),
        ),
        migrations.AddConstraint(
            model_name='questionview',
            constraint=models.UniqueConstraint(condition=models.Q(('user__isnull', True)), fields=('anon_key', 'question'), name='unique_view_per_visitor'),
        ),
    ]
