from django.urls import path

from questions import api, views

app_name = "questions"
urlpatterns = [
    path("", views.home, name="home"),
    path("topics/", views.topic_index, name="topics"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("q/<slug:slug>/", views.question_detail, name="question"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("api/topics/", api.topics, name="api_topics"),
    path("api/topics/<slug:slug>/", api.topic, name="api_topic"),
    path("api/questions/", api.questions, name="api_questions"),
    path("api/questions/<slug:slug>/", api.question, name="api_question"),
    path("api/markdown-preview/", views.markdown_preview, name="markdown_preview"),
]
