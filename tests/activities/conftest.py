from tests.support.fakemoota import fake_moota

__all__ = ["fake_moota"]
